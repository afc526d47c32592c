"""Tells the operator when a source keeps failing, and when it works again: once each.

After every recorded sweep, `OutageAlerts.after_sweep` compares the source's streak of failed
sweeps with the outage kept in the database (so a restart neither repeats nor forgets an alert):

    no outage --(N failed sweeps in a row)--> outage opened --(failure alert taken)--> alerted
    outage --(a sweep succeeds)--> recovered --(recovery alert taken)--> closed (row deleted)

A message not taken by every operator URL is sent again after the next sweep, only to the URLs
that did not take it. A recovery is announced even when the failure alert never got through;
its text says since when the source had been failing. Without an operator URL each message is
logged as a warning instead, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.delivery import target_id
from monitor.alerts.operator import (
    OperatorSettings,
    render_source_failing,
    render_source_recovered,
)
from monitor.alerts.render import AlertMessage
from monitor.store import Database
from monitor.store.health import (
    Outage,
    SweepStreak,
    close_outage,
    get_outage,
    mark_failure_alerted,
    mark_recovered,
    open_outage,
    record_outage_delivery,
    sweep_streak,
)

log = logging.getLogger(__name__)


class OutageAlerts:
    def __init__(
        self,
        *,
        db: Database,
        settings: OperatorSettings,
        notifier: AppriseNotifier,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._settings = settings
        self._notifier = notifier
        self._clock = clock

    async def after_sweep(self, source: str) -> None:
        """Call after each recorded sweep of `source`. Never raises: a problem here is logged
        and the next sweep tries again."""
        try:
            await self._check(source)
        except Exception:
            log.exception("could not check source %s for an operator alert", source)

    async def _check(self, source: str) -> None:
        streak = sweep_streak(self._db, source)
        outage = get_outage(self._db, source)
        if (
            outage is not None
            and outage.recovered_at is None
            and streak.first_failed_sweep != outage.first_failed_sweep
        ):
            mark_recovered(self._db, source=source, at=streak.last_success or self._clock())
            outage = get_outage(self._db, source)
        if outage is not None and outage.recovered_at is not None:
            if not await self._announce(outage, _recovery_message(outage)):
                return  # the recovery is still owed; a new outage waits behind it
            close_outage(self._db, source)
            outage = None
        if outage is None:
            outage = self._open_if_due(source, streak)
        if outage is not None and outage.failure_alerted_at is None:
            message = render_source_failing(
                source=source,
                failing_since=outage.failing_since,
                failed_sweeps=max(streak.consecutive_failures, 1),
                error=outage.error,
            )
            if await self._announce(outage, message):
                mark_failure_alerted(self._db, source=source, at=self._clock())

    def _open_if_due(self, source: str, streak: SweepStreak) -> Outage | None:
        if (
            streak.consecutive_failures < self._settings.failures_before_alert
            or streak.first_failed_sweep is None
            or streak.failing_since is None
        ):
            return None
        return open_outage(
            self._db,
            source=source,
            first_failed_sweep=streak.first_failed_sweep,
            failing_since=streak.failing_since,
            error=streak.last_error or "unknown error",
        )

    async def _announce(self, outage: Outage, message: AlertMessage) -> bool:
        """Send `message` to the operator URLs that have not taken it; True when all have."""
        urls = {target_id(url): url for url in self._settings.notify}
        if not urls:
            log.warning(
                "%s -- no [operator] notify URL is configured, so this log line is the only alert",
                message.body.splitlines()[0],
            )
            return True
        owed = [
            url for target, url in sorted(urls.items()) if target not in outage.delivered_targets
        ]
        if not owed:
            return True
        results = await asyncio.to_thread(self._notifier.send, urls=owed, message=message)
        taken = [target_id(url) for url, result in zip(owed, results, strict=True) if result.ok]
        record_outage_delivery(self._db, source=outage.source, targets=taken)
        for result in results:
            if not result.ok:
                log.warning(
                    "operator alert for source %s not delivered to %s: %s; "
                    "trying again after its next sweep",
                    outage.source,
                    result.target,
                    result.error,
                )
        return len(taken) == len(owed)


def _recovery_message(outage: Outage) -> AlertMessage:
    assert outage.recovered_at is not None
    return render_source_recovered(
        source=outage.source,
        failing_since=outage.failing_since,
        recovered_at=outage.recovered_at,
        error=outage.error,
    )
