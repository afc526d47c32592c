"""A sitemap source: the pages a site lists in its sitemaps, only the new or changed ones.

Each sweep reads the configured sitemaps (for a site's root address: the sitemaps its robots.txt
names, else /sitemap.xml), follows sitemap indexes, and hands on each page whose URL is new or
whose lastmod moved, newest first, with the images an image sitemap lists for it. What was
handed on is remembered in the source's checkpoint (`monitor.sources.sitemap_memory`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import ConfigDict, Field

from monitor.durations import Duration
from monitor.errors import FeedError, FetchError
from monitor.fetch.client import Fetcher
from monitor.sources.base import Candidate, ConfiguredSource, SourceContext
from monitor.sources.fields import HttpUrlText, SourceConfigBase, SourceName
from monitor.sources.sitemap_memory import SitemapMemory
from monitor.sources.sitemapparse import (
    Sitemap,
    SitemapEntry,
    parse_sitemap,
    sitemaps_in_robots_txt,
)

logger = logging.getLogger(__name__)

MAX_INDEX_DEPTH = 3  # the protocol has no nested indexes; some sites nest one or two levels
MAX_IMAGES_PER_PAGE = 100
_OLDEST = datetime.min.replace(tzinfo=UTC)


class SitemapSourceConfig(SourceConfigBase):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["sitemap"]
    name: SourceName
    urls: list[HttpUrlText] = Field(
        min_length=1,
        description=(
            "Sitemap addresses (sitemap.xml, sitemap indexes, .xml.gz), or a site's root "
            "address: then the sitemaps its robots.txt names, else /sitemap.xml."
        ),
    )
    every: Duration = timedelta(hours=2)
    max_urls: int = Field(
        default=500,
        ge=1,
        le=50_000,
        description="New or changed pages handed on per sweep; the rest wait for the next one.",
    )
    max_sitemaps: int = Field(
        default=100, ge=1, le=10_000, description="Sitemap files fetched per sweep."
    )


@dataclass
class _Budget:
    pages: int
    sitemaps: int


class SitemapSource(ConfiguredSource[SitemapSourceConfig]):
    """Yields new or changed sitemap pages (depth 0) and their image-sitemap images.

    A configured sitemap that cannot be fetched or read raises `FetchError` or `FeedError` at
    the end of the sweep (after the other sitemaps were read); a bad child of an index is
    skipped with a log line, unless every child fails.
    """

    uses_context = True

    def __init__(
        self,
        config: SitemapSourceConfig,
        *,
        context: SourceContext,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._context = context
        self._clock = clock

    async def poll(self, fetcher: Fetcher) -> AsyncIterator[Candidate]:
        memory = SitemapMemory.from_state(self._context.state.load(self.name))
        budget = _Budget(pages=self._config.max_urls, sitemaps=self._config.max_sitemaps)
        visited: set[str] = set()
        failures: list[FetchError | FeedError] = []
        for address in dict.fromkeys(self._config.urls):
            starts, fallback = await self._starting_sitemaps(fetcher, address)
            for start in starts:
                try:
                    async for candidate in self._walk(fetcher, start, memory, budget, visited):
                        yield candidate
                except (FetchError, FeedError) as error:
                    if start == fallback:
                        error = FeedError(
                            address,
                            f"no sitemap found: robots.txt names none, and {error}; "
                            "put the sitemap's address in `urls`",
                        )
                    logger.warning("sitemap source %s: %s", self.name, error)
                    failures.append(error)
        self._context.state.save(self.name, memory.to_state())
        if failures:
            raise failures[0]

    async def _starting_sitemaps(self, fetcher: Fetcher, address: str) -> tuple[list[str], str]:
        """The sitemaps to read for a configured address, and the guessed /sitemap.xml if the
        address is a site root whose robots.txt names none ("" otherwise)."""
        parts = urlsplit(address)
        if parts.path not in ("", "/") or parts.query:
            return [address], ""
        robots_url = urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))
        try:
            robots = await fetcher.fetch_page(robots_url)
            named = sitemaps_in_robots_txt(robots.body, robots_url=robots.final_url)
        except FetchError as error:
            logger.info("sitemap source %s: no robots.txt (%s)", self.name, error.reason)
            named = []
        if named:
            return named, ""
        guess = urlunsplit((parts.scheme, parts.netloc, "/sitemap.xml", "", ""))
        return [guess], guess

    async def _walk(
        self,
        fetcher: Fetcher,
        start: str,
        memory: SitemapMemory,
        budget: _Budget,
        visited: set[str],
    ) -> AsyncIterator[Candidate]:
        """Reads `start` and, for an index, its children breadth first, within the budget.
        Raises if `start` cannot be read, or if it is an index none of whose children can."""
        queue: deque[tuple[str, int, datetime | None]] = deque([(start, 0, None)])
        children_tried = 0
        child_errors: list[FetchError | FeedError] = []
        while queue and budget.pages > 0:
            url, depth, listed_lastmod = queue.popleft()
            if url in visited or memory.sitemap_unchanged(url, listed_lastmod):
                continue
            if budget.sitemaps <= 0:
                logger.info("sitemap source %s: max_sitemaps reached; more next sweep", self.name)
                break
            visited.add(url)
            budget.sitemaps -= 1
            if depth > 0:
                children_tried += 1
            try:
                sitemap = await self._read(fetcher, url)
            except (FetchError, FeedError) as error:
                if depth == 0:
                    raise
                logger.warning("sitemap source %s: child sitemap skipped: %s", self.name, error)
                child_errors.append(error)
                continue
            if sitemap.is_index:
                if depth >= MAX_INDEX_DEPTH:
                    logger.warning(
                        "sitemap source %s: %s is an index nested %d deep; not followed",
                        self.name,
                        url,
                        depth,
                    )
                    continue
                for child in _newest_first(sitemap.sitemaps):
                    queue.append((child.url, depth + 1, child.lastmod))
                continue
            changed = _newest_first(memory.new_or_changed(sitemap.pages))
            taken = changed[: budget.pages]
            budget.pages -= len(taken)
            now = self._clock()
            for entry in taken:
                memory.remember(entry, at=now)
                yield Candidate(url=entry.url, kind="page", source=self.name, page_url=entry.url)
                for image_url in entry.images[:MAX_IMAGES_PER_PAGE]:
                    yield Candidate(
                        url=image_url, kind="image", source=self.name, page_url=entry.url
                    )
            if len(taken) == len(changed):
                memory.sitemap_done(url, listed_lastmod)
        if child_errors and len(child_errors) == children_tried:
            raise child_errors[0]

    async def _read(self, fetcher: Fetcher, url: str) -> Sitemap:
        result = await fetcher.fetch_feed(url)
        sitemap = await asyncio.to_thread(parse_sitemap, result.body, sitemap_url=result.final_url)
        logger.debug(
            "sitemap %s: %d pages, %d sitemaps", url, len(sitemap.pages), len(sitemap.sitemaps)
        )
        return sitemap


def _newest_first(entries: list[SitemapEntry] | tuple[SitemapEntry, ...]) -> list[SitemapEntry]:
    """Newest lastmod first; entries without one keep their order, after the dated ones."""
    return sorted(entries, key=lambda entry: entry.lastmod or _OLDEST, reverse=True)
