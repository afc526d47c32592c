"""Delivers the alert outbox: one discreet digest per client, retries with backoff.

Each notification URL is a target. A row is done when every target of its client has taken it;
targets that took it are remembered, so a retry never reaches the same target twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.render import AlertItem, render_digest
from monitor.store import Database
from monitor.store.clients import list_clients
from monitor.store.outbox import claim_due_alerts, record_delivery
from monitor.store.records import PendingAlert

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryReport:
    messages_sent: int
    sightings_delivered: int
    sightings_pending: int


def target_id(url: str) -> str:
    """A stable, non-secret name for one notification URL, kept in the outbox."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


class AlertDelivery:
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

    def targets_for(self, client_id: str, stored_urls: Sequence[str]) -> list[str]:
        urls = list(dict.fromkeys([*stored_urls, *self._config_urls(client_id)]))
        return urls

    async def deliver_due(self) -> DeliveryReport:
        now = self._clock()
        pending = claim_due_alerts(self._db, now=now)
        if not pending:
            return DeliveryReport(messages_sent=0, sightings_delivered=0, sightings_pending=0)
        stored = {client.id: client.notify_urls for client in list_clients(self._db)}
        by_client: dict[str, list[PendingAlert]] = defaultdict(list)
        for alert in pending:
            by_client[alert.client_id].append(alert)
        sent = delivered = still_pending = 0
        for client_id, alerts in by_client.items():
            targets = {
                target_id(url): url
                for url in self.targets_for(client_id, stored.get(client_id, ()))
            }
            for owed, group in _group_by_targets_owed(alerts, set(targets)).items():
                messages, done = await self._deliver_group(
                    client_id=client_id, group=group, targets=targets, owed=owed, now=now
                )
                sent += messages
                if done:
                    delivered += len(group)
                else:
                    still_pending += len(group)
        return DeliveryReport(
            messages_sent=sent, sightings_delivered=delivered, sightings_pending=still_pending
        )

    async def _deliver_group(
        self,
        *,
        client_id: str,
        group: list[PendingAlert],
        targets: dict[str, str],
        owed: frozenset[str],
        now: datetime,
    ) -> tuple[int, bool]:
        ids = [alert.outbox_id for alert in group]
        attempts = max(alert.attempts for alert in group)
        retry_at = now + retry_delay(attempts, first=self._retry_first, most=self._retry_max)
        if not targets:
            log.warning(
                "client %s has %d alert(s) owed but no notification URL; add one with "
                "`monitor client add` --notify or [[clients]] notify in the config",
                client_id,
                len(group),
            )
            record_delivery(
                self._db,
                outbox_ids=ids,
                now=now,
                succeeded=(),
                all_targets=(),
                error="no notification URL configured",
                retry_at=retry_at,
            )
            return 0, False
        message = render_digest(
            case_label=client_id,
            items=[
                AlertItem(
                    page_url=alert.sighting.page_url,
                    image_url=alert.sighting.image_url,
                    first_seen=alert.sighting.first_seen,
                    takedown_url=alert.sighting.takedown_url,
                )
                for alert in group
            ],
        )
        urls = [targets[target] for target in sorted(owed)]
        results = await asyncio.to_thread(self._notifier.send, urls=urls, message=message)
        succeeded = {target_id(url) for url, result in zip(urls, results, strict=True) if result.ok}
        errors = [f"{result.target}: {result.error}" for result in results if not result.ok]
        for error in errors:
            log.warning("alert for client %s not delivered to %s", client_id, error)
        record_delivery(
            self._db,
            outbox_ids=ids,
            now=now,
            succeeded=succeeded,
            all_targets=set(targets),
            error="; ".join(errors) or None,
            retry_at=retry_at,
        )
        return (1 if succeeded else 0), not errors


def retry_delay(attempts: int, *, first: timedelta, most: timedelta) -> timedelta:
    """Wait before the next try after `attempts` failed ones: `first`, doubling, up to `most`."""
    delay = first
    for _ in range(attempts):
        if delay >= most:
            break
        delay *= 2
    return min(delay, most)


def _group_by_targets_owed(
    alerts: list[PendingAlert], targets: set[str]
) -> dict[frozenset[str], list[PendingAlert]]:
    groups: dict[frozenset[str], list[PendingAlert]] = defaultdict(list)
    for alert in alerts:
        groups[frozenset(targets - alert.delivered_targets)].append(alert)
    return groups
