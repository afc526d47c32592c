"""What a worker's tasks do: the pipeline's stages, with the sweep's bookkeeping in the database.

Every stage is the same code `monitor scan` runs in one process (`Pipeline.visit_page`,
`Pipeline.check_image`); only the queue between them differs. A candidate fails alone: a fetch,
decode or store error is recorded against its URL and the task succeeds; anything else raises,
and procrastinate retries the task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from monitor.errors import FeedError, FetchError, MonitorError
from monitor.pipeline import PageVisit, utc_now
from monitor.queue.deferring import TaskQueue
from monitor.queue.live_matcher import LiveMatcher
from monitor.service import Monitor
from monitor.sources.base import Candidate
from monitor.store.crawl import is_known_url, record_url_error, start_sweep
from monitor.store.shared_sweeps import add_to_sweep, finish_poll, pages_visited

log = logging.getLogger(__name__)


class WorkerRuntime:
    def __init__(
        self, *, monitor: Monitor, queue: TaskQueue, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._monitor = monitor
        self._db = monitor.db
        self._queue = queue
        self._clock = clock
        self.matcher = LiveMatcher(
            monitor.db,
            settings=monitor.settings.matching,
            settings_for=monitor.settings.matching_for,
        )

    async def poll(self, *, source_name: str, period_start: int) -> None:
        """Read one source and queue each candidate once for this period."""
        source = self._monitor.sources.get(source_name)
        if source is None:
            log.warning(
                "poll of source %r skipped: it is not in this worker's config (give every "
                "scheduler and worker the same config)",
                source_name,
            )
            return
        sweep_id = start_sweep(self._db, source=source_name, at=self._clock())
        candidates = new_candidates = 0
        polled: set[str] = set()
        error: str | None = None
        try:
            async for candidate in source.poll(self._monitor.fetcher):
                candidates += 1
                if candidate.url not in polled:
                    polled.add(candidate.url)
                    new_candidates += 0 if is_known_url(self._db, candidate.url) else 1
                await self._queue.defer_candidate(
                    sweep_id=sweep_id, period_start=period_start, candidate=candidate
                )
        except (FetchError, FeedError) as failure:
            error = str(failure)
            log.warning("source %s could not be read: %s", source_name, failure)
        finish_poll(
            self._db,
            sweep_id=sweep_id,
            finished_at=self._clock(),
            candidates=candidates,
            new_candidates=new_candidates,
            error=error,
        )
        log.info("poll of %s: %d candidate(s) queued", source_name, candidates)
        await self._monitor.outage_alerts.after_sweep(source_name)

    async def visit(self, *, sweep_id: int, period_start: int, candidate: Candidate) -> None:
        try:
            visit = await self._monitor.pipeline.visit_page(candidate)
        except MonitorError as failure:
            self._record_failure(sweep_id=sweep_id, candidate=candidate, failure=failure)
            return
        add_to_sweep(self._db, sweep_id=sweep_id, pages=1)
        await self._follow(sweep_id=sweep_id, period_start=period_start, visit=visit)

    async def check(self, *, sweep_id: int, candidate: Candidate) -> None:
        try:
            new_sightings = await self._monitor.pipeline.check_image(
                candidate, matcher=self.matcher.current()
            )
        except MonitorError as failure:
            self._record_failure(sweep_id=sweep_id, candidate=candidate, failure=failure)
            return
        add_to_sweep(self._db, sweep_id=sweep_id, images=1, new_sightings=new_sightings)
        if new_sightings:
            await self._queue.defer_delivery()

    async def deliver(self) -> None:
        report = await self._monitor.delivery.deliver_due()
        if report.messages_sent or report.sightings_pending:
            log.info(
                "alerts: %d message(s) for %d sighting(s); %d waiting for retry",
                report.messages_sent,
                report.sightings_delivered,
                report.sightings_pending,
            )

    async def follow_through(self) -> None:
        """Due re-checks of confirmed and reported sightings, the removal and reappearance
        alerts they owe, and the captures owed at first sight; each is safe from many workers
        at once (claims with leases, captures recorded once per sighting)."""
        await self._monitor.follow_up.run_due()
        await self._monitor.follow_up_alerts.deliver_due()
        await self._monitor.capture_owed()

    async def _follow(self, *, sweep_id: int, period_start: int, visit: PageVisit) -> None:
        for image in visit.images:
            await self._queue.defer_candidate(
                sweep_id=sweep_id, period_start=period_start, candidate=image
            )
        if not visit.next_pages and not visit.links:
            return
        if pages_visited(self._db, sweep_id=sweep_id) >= self._monitor.settings.scan.max_pages:
            return  # approximate across workers: a few pages more at most, never unbounded
        for next_page in visit.next_pages:  # the first next page this period has not seen
            if await self._queue.defer_candidate(
                sweep_id=sweep_id, period_start=period_start, candidate=next_page
            ):
                break
        for link in visit.links:
            await self._queue.defer_candidate(
                sweep_id=sweep_id, period_start=period_start, candidate=link
            )

    def _record_failure(
        self, *, sweep_id: int, candidate: Candidate, failure: MonitorError
    ) -> None:
        reason = failure.reason if isinstance(failure, FetchError) else str(failure)
        log.info("%s %s skipped: %s", candidate.kind, candidate.url, reason)
        record_url_error(
            self._db, url=candidate.url, kind=candidate.kind, reason=reason, at=self._clock()
        )
        add_to_sweep(self._db, sweep_id=sweep_id, failures=1)
