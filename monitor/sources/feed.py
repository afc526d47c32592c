"""A feed source: an RSS, Atom or JSON feed (Google Alerts, a site's feed) read every sweep."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Literal

from pydantic import ConfigDict

from monitor.durations import Duration
from monitor.fetch.client import Fetcher
from monitor.sources.base import Candidate, ConfiguredSource
from monitor.sources.feedparse import FeedEntry, parse_feed
from monitor.sources.fields import HttpUrlText, SourceConfigBase, SourceName

logger = logging.getLogger(__name__)


class FeedSourceConfig(SourceConfigBase):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["feed"]
    name: SourceName
    url: HttpUrlText
    every: Duration = timedelta(hours=1)


class FeedSource(ConfiguredSource[FeedSourceConfig]):
    """Yields each entry's page (depth 0: its images only) and the images the entry carries.

    A feed that cannot be fetched or read raises `FetchError` or `FeedError`: the whole sweep of
    this source fails and the pipeline records it.
    """

    def __init__(self, config: FeedSourceConfig) -> None:
        self._config = config

    async def poll(self, fetcher: Fetcher) -> AsyncIterator[Candidate]:
        result = await fetcher.fetch_feed(self._config.url)
        entries = parse_feed(result.body, feed_url=result.final_url)
        logger.debug("feed %s: %d entries", self.name, len(entries))
        seen: set[Candidate] = set()
        for entry in entries:
            for candidate in self._candidates(entry):
                if candidate not in seen:
                    seen.add(candidate)
                    yield candidate

    def _candidates(self, entry: FeedEntry) -> Iterator[Candidate]:
        if entry.page_url is not None:
            yield Candidate(
                url=entry.page_url, kind="page", source=self.name, page_url=entry.page_url, depth=0
            )
        for image_url in entry.image_urls:
            yield Candidate(
                url=image_url,
                kind="image",
                source=self.name,
                page_url=entry.page_url or image_url,
                depth=0,
            )
