"""`monitor run` on PostgreSQL with the task queue: defer work, do none of it.

Every source gets a tick several times per period; each tick defers the poll of the period it
falls in, and the database keeps one poll per (source, period) however many schedulers tick. So
two schedulers run for availability, and one stopping costs nothing: the other's next tick
defers the period. Alert delivery is deferred on a short interval, for retries and for alerts a
retried task recorded.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.config import Settings
from monitor.pipeline import utc_now
from monitor.queue.app import build_app, require_queue
from monitor.queue.deferring import TaskQueue

log = logging.getLogger(__name__)
DELIVERY_EVERY = timedelta(seconds=10)
# Re-checks come due on their own pace (follow_up.every); captures are owed at first sight.
FOLLOW_THROUGH_EVERY = timedelta(seconds=60)
LONGEST_TICK = timedelta(seconds=60)


def period_start(moment: datetime, *, every: timedelta) -> int:
    """The Unix time the period of length `every` that holds `moment` began (epoch-aligned)."""
    seconds = max(1, int(every.total_seconds()))
    return int(moment.timestamp()) // seconds * seconds


def tick_interval(every: timedelta) -> timedelta:
    """Often enough that a period is deferred soon after it begins, whatever the jitter."""
    return max(timedelta(seconds=1), min(every / 4, LONGEST_TICK))


class QueueScheduler:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self._settings = settings
        self._clock = clock
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        require_queue(self._settings.storage.url)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        app = build_app(self._settings.storage.url, pool_size=2)
        try:
            async with app.open_async():
                queue = TaskQueue(app)
                scheduler = self._schedule(queue)
                scheduler.start()
                log.info(
                    "scheduler deferring %d source(s) to `monitor worker` processes; "
                    "stop with SIGTERM or Ctrl-C",
                    len(self._settings.sources),
                )
                try:
                    await self._stop.wait()
                finally:
                    scheduler.shutdown(wait=False)
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
        log.info("scheduler stopped; deferred work stays in the queue for the workers")

    def _schedule(self, queue: TaskQueue) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        for config in self._settings.sources:
            scheduler.add_job(
                self._defer_poll,
                "interval",
                args=[queue, config.name, config.every],
                seconds=tick_interval(config.every).total_seconds(),
                id=f"poll:{config.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=now,
            )
        scheduler.add_job(
            self._defer_delivery,
            "interval",
            args=[queue],
            seconds=DELIVERY_EVERY.total_seconds(),
            id="deliver",
            max_instances=1,
            coalesce=True,
            next_run_time=now,
        )
        scheduler.add_job(
            self._defer_follow_through,
            "interval",
            args=[queue],
            seconds=FOLLOW_THROUGH_EVERY.total_seconds(),
            id="follow_through",
            max_instances=1,
            coalesce=True,
            next_run_time=now,
        )
        return scheduler

    async def _defer_follow_through(self, queue: TaskQueue) -> None:
        try:
            await queue.defer_follow_through()
        except Exception:
            log.exception("could not defer re-checks and captures; trying again shortly")

    async def _defer_poll(self, queue: TaskQueue, source: str, every: timedelta) -> None:
        start = period_start(self._clock(), every=every)
        try:
            job_id = await queue.defer_poll(source=source, period_start=start)
        except Exception:
            log.exception("could not defer the poll of %s; trying again at the next tick", source)
            return
        if job_id is not None:
            log.info("poll of %s for the period from %s deferred (job %d)", source, start, job_id)

    async def _defer_delivery(self, queue: TaskQueue) -> None:
        try:
            await queue.defer_delivery()
        except Exception:
            log.exception("could not defer alert delivery; trying again shortly")
