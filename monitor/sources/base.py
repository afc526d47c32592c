"""The one extension point every kind of source follows.

A source turns its configuration into candidates: page URLs to look at and image URLs to fetch.
It never fetches images or matches anything itself; the pipeline does that for every source alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from monitor.fetch.client import Fetcher

CandidateKind = Literal["page", "image", "video"]


@dataclass(frozen=True)
class Candidate:
    """Something a source found that may show an enrolled image.

    `kind="page"`: an HTML page; the pipeline fetches it, extracts its images and, while
    `depth > 0`, follows its same-site links with `depth - 1`.
    `kind="image"`: an image URL; `page_url` is the page it was found on (the evidence context),
    or the image URL itself when there is no page.
    `kind="video"`: a video file URL, like an image URL (the pipeline samples its frames).
    `pages_left`: how many more pages of the same listing the pipeline may follow through the
    page's next-page links (pagination keeps `depth`; links followed by depth get 0).
    """

    url: str
    kind: CandidateKind
    source: str
    page_url: str
    depth: int = 0
    pages_left: int = 0


class SourceState(Protocol):
    """Checkpoints a source keeps between sweeps (and restarts): cursors, lastmod times, when
    each seed was last searched, quota left. A JSON-able dict per source name."""

    def load(self, source: str) -> dict[str, Any]: ...

    def save(self, source: str, state: dict[str, Any]) -> None: ...


class MemorySourceState:
    """A `SourceState` that lives in memory: for tests and one-off runs."""

    def __init__(self) -> None:
        self._states: dict[str, dict[str, Any]] = {}

    def load(self, source: str) -> dict[str, Any]:
        return dict(self._states.get(source, {}))

    def save(self, source: str, state: dict[str, Any]) -> None:
        self._states[source] = dict(state)


@dataclass(frozen=True)
class SourceContext:
    """What the monitor hands to sources when it builds them.

    `confirmed_image_urls()` gives the public image URLs of confirmed sightings, the only seeds
    a reverse image search may use: the victim's originals are never sent anywhere.
    """

    state: SourceState = field(default_factory=MemorySourceState)
    confirmed_image_urls: Callable[[], Sequence[str]] = lambda: ()


class SourceConfigFields(Protocol):
    """What every `[[sources]]` model has: its stable name and its kind."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...


ConfigT = TypeVar("ConfigT", bound=SourceConfigFields)


class ConfiguredSource(Generic[ConfigT]):
    """The `name`, `kind` and `config` of a source, read from the config it was built from."""

    _config: ConfigT

    @property
    def name(self) -> str:
        return self._config.name

    @property
    def kind(self) -> str:
        return self._config.kind

    @property
    def config(self) -> ConfigT:
        return self._config


class Source(Protocol):
    """A configured place to look. `name` is the stable ID from the config, stored in evidence."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def poll(self, fetcher: Fetcher) -> AsyncIterator[Candidate]:
        """Yield this sweep's candidates.

        Raise `monitor.errors.FetchError` or `FeedError` when the source itself cannot be read
        (the sweep of this source is then recorded as failed); a bad entry inside a readable
        source is skipped with a log line instead.
        """
        ...
