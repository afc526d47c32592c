"""The one extension point every kind of source follows.

A source turns its configuration into candidates: page URLs to look at and image URLs to fetch.
It never fetches images or matches anything itself; the pipeline does that for every source alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol

from monitor.fetch.client import Fetcher

CandidateKind = Literal["page", "image"]


@dataclass(frozen=True)
class Candidate:
    """Something a source found that may show an enrolled image.

    `kind="page"`: an HTML page; the pipeline fetches it, extracts its images and, while
    `depth > 0`, follows its same-site links with `depth - 1`.
    `kind="image"`: an image URL; `page_url` is the page it was found on (the evidence context),
    or the image URL itself when there is no page.
    """

    url: str
    kind: CandidateKind
    source: str
    page_url: str
    depth: int = 0


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
