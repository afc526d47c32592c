"""The daemon: each source on its own interval, the outbox delivered after every sweep and on a
short interval for retries, and a clean stop on SIGTERM/SIGINT.

On stop, sweeps in progress are cancelled (everything they recorded is already committed), but a
delivery in progress is allowed to finish, so an alert being sent is also marked as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.service import Monitor

log = logging.getLogger(__name__)
OUTBOX_INTERVAL = timedelta(seconds=30)
DELIVERY_GRACE = timedelta(seconds=60)
# How often the daemon looks for due re-checks; each sighting's own pace is follow_up.every.
FOLLOW_UP_TICK = timedelta(seconds=60)
# New sightings of clients with captures on are captured within this long of being recorded.
CAPTURE_TICK = timedelta(seconds=30)


class Daemon:
    def __init__(self, monitor: Monitor) -> None:
        self._monitor = monitor
        self._stop = asyncio.Event()
        self._deliver_now = asyncio.Event()
        self._sweeps_stopped = asyncio.Event()
        self._sweeps: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Run until `stop()` or a signal. Never two sweeps of one source at once."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self.stop)
        scheduler = self._schedule()
        delivery = asyncio.create_task(self._delivery_loop())
        scheduler.start()
        log.info(
            "monitor running with %d source(s); stop with SIGTERM or Ctrl-C",
            len(self._monitor.sources),
        )
        try:
            await self._stop.wait()
        finally:
            log.info("stopping: sweeps in progress are cancelled, their records are kept")
            scheduler.shutdown(wait=False)
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
            for task in list(self._sweeps):
                task.cancel()
            await asyncio.gather(*self._sweeps, return_exceptions=True)
            self._sweeps_stopped.set()
            self._deliver_now.set()
            try:
                await asyncio.wait_for(delivery, DELIVERY_GRACE.total_seconds())
            except TimeoutError:
                log.warning(
                    "alert delivery did not finish in %s; it resumes at next start", DELIVERY_GRACE
                )

    def _schedule(self) -> AsyncIOScheduler:
        scheduler = AsyncIOScheduler(timezone=UTC)
        now = datetime.now(UTC)
        jitter = int(self._monitor.settings.scan.jitter.total_seconds())
        for config in self._monitor.settings.sources:
            scheduler.add_job(
                self._sweep,
                "interval",
                args=[config.name],
                seconds=config.every.total_seconds(),
                jitter=jitter or None,
                id=f"sweep:{config.name}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=now,
            )
        if self._monitor.settings.follow_up.enabled:
            scheduler.add_job(
                self._follow_up,
                "interval",
                seconds=FOLLOW_UP_TICK.total_seconds(),
                id="follow_up",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=now,
            )
        if self._monitor.settings.capture_clients():
            scheduler.add_job(
                self._capture,
                "interval",
                seconds=CAPTURE_TICK.total_seconds(),
                id="captures",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                next_run_time=now,
            )
        return scheduler

    async def _capture(self) -> None:
        try:
            await self._monitor.capture_owed()
        except Exception:
            log.exception("captures failed; they run again in %s", CAPTURE_TICK)

    async def _follow_up(self) -> None:
        try:
            report = await self._monitor.follow_up.run_due()
        except Exception:
            log.exception("re-checks failed; they run again in %s", FOLLOW_UP_TICK)
            return
        if report.removed or report.reappeared:
            self._deliver_now.set()

    async def _sweep(self, source_name: str) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._sweeps.add(task)
        try:
            await self._monitor.sweep(source_name)
        except asyncio.CancelledError:
            if not self._stop.is_set():
                raise
            log.info("sweep of %s stopped; what it recorded is kept", source_name)
        except Exception:
            log.exception("sweep of %s failed; it runs again at its next interval", source_name)
        finally:
            self._sweeps.discard(task)
            self._deliver_now.set()

    async def _delivery_loop(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._deliver_now.wait(), OUTBOX_INTERVAL.total_seconds())
            self._deliver_now.clear()
            await self._deliver_once()
        # A pass that began before the stop may have missed what the last sweeps recorded:
        # deliver once more when every sweep has ended.
        await self._sweeps_stopped.wait()
        await self._deliver_once()

    async def _deliver_once(self) -> None:
        try:
            await self._monitor.delivery.deliver_due()
            await self._monitor.follow_up_alerts.deliver_due()
        except Exception:
            log.exception("alert delivery failed; retrying in %s", OUTBOX_INTERVAL)
