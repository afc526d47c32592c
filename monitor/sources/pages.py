"""A pages source: web pages to look at every sweep, following same-site links `depth` deep
and next-page links (pagination) up to `max_pages` pages per configured URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Literal

from pydantic import ConfigDict, Field

from monitor.durations import Duration
from monitor.fetch.client import Fetcher
from monitor.sources.base import Candidate, ConfiguredSource
from monitor.sources.fields import HttpUrlText, SourceConfigBase, SourceName


class PagesSourceConfig(SourceConfigBase):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["pages"]
    name: SourceName
    urls: list[HttpUrlText] = Field(min_length=1)
    depth: int = Field(
        default=1,
        ge=0,
        le=5,
        description="How many same-site links deep to follow from each page; 0: the page only.",
    )
    max_pages: int = Field(
        default=10,
        ge=1,
        le=100,
        description=(
            "How many pages of each configured URL's listing to follow through its next-page "
            'links (rel=next, "Next", ?page=N+1), counting the first; 1: no pagination.'
        ),
    )
    every: Duration = timedelta(minutes=30)


class PagesSource(ConfiguredSource[PagesSourceConfig]):
    """Hands the configured pages to the pipeline, which fetches, extracts and follows links."""

    def __init__(self, config: PagesSourceConfig) -> None:
        self._config = config

    async def poll(self, fetcher: Fetcher) -> AsyncIterator[Candidate]:
        for url in dict.fromkeys(self._config.urls):
            yield Candidate(
                url=url,
                kind="page",
                source=self.name,
                page_url=url,
                depth=self._config.depth,
                pages_left=self._config.max_pages - 1,
            )
