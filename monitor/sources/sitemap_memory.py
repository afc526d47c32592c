"""What a sitemap source remembers between sweeps, as a JSON-able checkpoint.

For each URL: its lastmod and when that version was first seen (a URL without lastmod is new
once, then never again). For each child sitemap of an index: its lastmod, recorded only after
every URL in it was handed on, so an index child whose lastmod has not moved is not fetched
again. Both are bounded: past the limit the URLs seen longest ago are forgotten (and come back
as new if a sitemap still lists them).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from monitor.sources.sitemapparse import SitemapEntry

MAX_REMEMBERED_URLS = 50_000
MAX_REMEMBERED_SITEMAPS = 10_000
_VERSION = 1


class SitemapMemory:
    def __init__(
        self,
        *,
        urls: dict[str, tuple[int | None, int]] | None = None,
        sitemaps: dict[str, int] | None = None,
    ) -> None:
        self._urls = urls if urls is not None else {}
        self._sitemaps = sitemaps if sitemaps is not None else {}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> SitemapMemory:
        """The memory in a stored checkpoint; entries that are not well-formed are dropped."""
        if state.get("version") != _VERSION:
            return cls()
        raw_urls = state.get("urls")
        raw_sitemaps = state.get("sitemaps")
        urls: dict[str, tuple[int | None, int]] = {}
        for url, value in (raw_urls if isinstance(raw_urls, dict) else {}).items():
            if isinstance(value, list) and len(value) == 2:
                lastmod, seen = value
                if (lastmod is None or _is_int(lastmod)) and _is_int(seen):
                    urls[url] = (lastmod, seen)
        sitemaps = {
            url: lastmod
            for url, lastmod in (raw_sitemaps if isinstance(raw_sitemaps, dict) else {}).items()
            if _is_int(lastmod)
        }
        return cls(urls=urls, sitemaps=sitemaps)

    def to_state(self) -> dict[str, Any]:
        urls = self._urls
        if len(urls) > MAX_REMEMBERED_URLS:
            newest = heapq.nlargest(MAX_REMEMBERED_URLS, urls.items(), key=lambda item: item[1][1])
            urls = dict(newest)
        sitemaps = dict(list(self._sitemaps.items())[-MAX_REMEMBERED_SITEMAPS:])
        return {
            "version": _VERSION,
            "urls": {url: [lastmod, seen] for url, (lastmod, seen) in urls.items()},
            "sitemaps": sitemaps,
        }

    def __len__(self) -> int:
        return len(self._urls)

    def new_or_changed(self, entries: Iterable[SitemapEntry]) -> list[SitemapEntry]:
        """The entries never seen, or whose lastmod differs from the one remembered; each URL
        once, in the order given."""
        found: dict[str, SitemapEntry] = {}
        for entry in entries:
            if entry.url not in found and self._is_new_or_changed(entry):
                found[entry.url] = entry
        return list(found.values())

    def remember(self, entry: SitemapEntry, *, at: datetime) -> None:
        self._urls.pop(entry.url, None)
        self._urls[entry.url] = (_epoch(entry.lastmod), int(at.timestamp()))

    def sitemap_unchanged(self, url: str, lastmod: datetime | None) -> bool:
        """Whether an index child with this lastmod was read completely before."""
        return lastmod is not None and self._sitemaps.get(url) == _epoch(lastmod)

    def sitemap_done(self, url: str, lastmod: datetime | None) -> None:
        self._sitemaps.pop(url, None)
        if lastmod is not None:
            self._sitemaps[url] = int(lastmod.timestamp())

    def _is_new_or_changed(self, entry: SitemapEntry) -> bool:
        known = self._urls.get(entry.url)
        if known is None:
            return True
        return entry.lastmod is not None and known[0] != _epoch(entry.lastmod)


def _epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
