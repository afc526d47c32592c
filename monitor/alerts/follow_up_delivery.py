"""Delivers the alerts owed for verified removals and reappearances: one discreet message per
client and kind, retried with backoff, each target reached once (see `monitor.alerts.delivery`)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.delivery import DeliveryReport, retry_delay, target_id
from monitor.alerts.render import AlertMessage, FollowUpItem, render_reappeared, render_removed
from monitor.store import Database
from monitor.store.clients import list_clients
from monitor.store.follow_up_alerts import (
    PendingFollowUpAlert,
    claim_due_follow_up_alerts,
    record_follow_up_delivery,
)

log = logging.getLogger(__name__)


class FollowUpAlertDelivery:
    def __init__(
        self,
        *,
        db: Database,
        notifier: AppriseNotifier,
        config_urls: Callable[[str], Sequence[str]],
        retry_first: timedelta,
        retry_max: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._notifier = notifier
        self._config_urls = config_urls
        self._retry_first = retry_first
        self._retry_max = retry_max
        self._clock = clock

    async def deliver_due(self) -> DeliveryReport:
        now = self._clock()
        pending = claim_due_follow_up_alerts(self._db, now=now)
        if not pending:
            return DeliveryReport(messages_sent=0, sightings_delivered=0, sightings_pending=0)
        stored = {client.id: client.notify_urls for client in list_clients(self._db)}
        groups: dict[tuple[str, str, frozenset[str]], list[PendingFollowUpAlert]] = defaultdict(
            list
        )
        targets_by_client: dict[str, dict[str, str]] = {}
        for alert in pending:
            targets = targets_by_client.setdefault(
                alert.client_id, self._targets(alert.client_id, stored.get(alert.client_id, ()))
            )
            owed = frozenset(set(targets) - alert.delivered_targets)
            groups[(alert.client_id, alert.kind, owed)].append(alert)
        sent = delivered = still_pending = 0
        for (client_id, kind, owed), group in groups.items():
            messages, done = await self._deliver_group(
                client_id=client_id,
                kind=kind,
                group=group,
                targets=targets_by_client[client_id],
                owed=owed,
                now=now,
            )
            sent += messages
            if done:
                delivered += len(group)
            else:
                still_pending += len(group)
        return DeliveryReport(
            messages_sent=sent, sightings_delivered=delivered, sightings_pending=still_pending
        )

    def _targets(self, client_id: str, stored_urls: Sequence[str]) -> dict[str, str]:
        urls = dict.fromkeys([*stored_urls, *self._config_urls(client_id)])
        return {target_id(url): url for url in urls}

    async def _deliver_group(
        self,
        *,
        client_id: str,
        kind: str,
        group: list[PendingFollowUpAlert],
        targets: dict[str, str],
        owed: frozenset[str],
        now: datetime,
    ) -> tuple[int, bool]:
        ids = [alert.alert_id for alert in group]
        retry_at = now + retry_delay(
            max(alert.attempts for alert in group), first=self._retry_first, most=self._retry_max
        )
        if not targets:
            log.warning(
                "client %s has %d follow-up alert(s) owed but no notification URL; add one "
                "with `monitor client add` --notify or [[clients]] notify in the config",
                client_id,
                len(group),
            )
            record_follow_up_delivery(
                self._db,
                alert_ids=ids,
                now=now,
                succeeded=(),
                all_targets=(),
                error="no notification URL configured",
                retry_at=retry_at,
            )
            return 0, False
        urls = [targets[target] for target in sorted(owed)]
        results = await asyncio.to_thread(
            self._notifier.send, urls=urls, message=render_follow_up(client_id, kind, group)
        )
        succeeded = {target_id(url) for url, result in zip(urls, results, strict=True) if result.ok}
        errors = [f"{result.target}: {result.error}" for result in results if not result.ok]
        for error in errors:
            log.warning("follow-up alert for client %s not delivered to %s", client_id, error)
        record_follow_up_delivery(
            self._db,
            alert_ids=ids,
            now=now,
            succeeded=succeeded,
            all_targets=set(targets),
            error="; ".join(errors) or None,
            retry_at=retry_at,
        )
        return (1 if succeeded else 0), not errors


def render_follow_up(
    client_id: str, kind: str, alerts: Sequence[PendingFollowUpAlert]
) -> AlertMessage:
    items = [
        FollowUpItem(
            page_url=alert.sighting.page_url,
            image_url=alert.sighting.image_url,
            first_seen=alert.sighting.first_seen,
            changed_at=alert.at,
            takedown_url=alert.sighting.takedown_url,
            sighting_id=alert.sighting.id,
        )
        for alert in alerts
    ]
    render = render_removed if kind == "removed" else render_reappeared
    return render(case_label=client_id, items=items)
