"""Removal figures per site, computed from sighting histories: pure, no I/O.

found       sightings not dismissed as false positives
reported    sightings reported for removal at least once
removed     sightings verified removed now (two checks in a row found them gone)
back        sightings that came back after a verified removal and are up now
rate        of the reported sightings, the share now verified removed
median      from the first report to the first verified removal after it, over the reported
            sightings that were verified removed at least once
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from monitor.store.follow_up_stats import SightingHistory

UNKNOWN_SITE = "(no host)"


@dataclass(frozen=True)
class SiteStats:
    site: str
    found: int
    reported: int
    removed: int
    back: int
    removed_after_report: int
    median_report_to_removal: timedelta | None

    @property
    def removal_rate(self) -> float | None:
        return None if self.reported == 0 else self.removed_after_report / self.reported


@dataclass(frozen=True)
class StatsReport:
    sites: tuple[SiteStats, ...]  # most sightings first
    total: SiteStats


def site_of(page_url: str) -> str:
    try:
        host = urlsplit(page_url).hostname
    except ValueError:
        host = None
    return host or UNKNOWN_SITE


def compute_stats(histories: Iterable[SightingHistory]) -> StatsReport:
    by_site: dict[str, list[SightingHistory]] = defaultdict(list)
    every = []
    for history in histories:
        if history.status == "dismissed":
            continue
        by_site[site_of(history.page_url)].append(history)
        every.append(history)
    sites = sorted(
        (_site_stats(site, group) for site, group in by_site.items()),
        key=lambda stats: (-stats.found, stats.site),
    )
    return StatsReport(sites=tuple(sites), total=_site_stats("all sites", every))


def _site_stats(site: str, histories: Sequence[SightingHistory]) -> SiteStats:
    reported = [history for history in histories if _first_report(history) is not None]
    delays = [delay for history in reported if (delay := _report_to_removal(history)) is not None]
    return SiteStats(
        site=site,
        found=len(histories),
        reported=len(reported),
        removed=sum(1 for history in histories if history.status == "removed"),
        back=sum(1 for history in histories if history.status == "reappeared"),
        removed_after_report=sum(1 for history in reported if history.status == "removed"),
        median_report_to_removal=_median(delays),
    )


def _median(delays: Sequence[timedelta]) -> timedelta | None:
    if not delays:
        return None
    return timedelta(seconds=statistics.median(delay.total_seconds() for delay in delays))


def _first_report(history: SightingHistory) -> int | None:
    for position, step in enumerate(history.steps):
        if step.to_status == "reported":
            return position
    return None


def _report_to_removal(history: SightingHistory) -> timedelta | None:
    first = _first_report(history)
    if first is None:
        return None
    reported_at = history.steps[first].at
    for step in history.steps[first + 1 :]:
        if step.to_status == "removed":
            return step.at - reported_at
    return None
