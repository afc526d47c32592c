"""Alerts owed for verified removals and reappearances: claimed with a lease like the outbox
(at least once), with the targets that took each one remembered (never twice to one target)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select

from monitor.store.database import Database
from monitor.store.records import Sighting
from monitor.store.sightings import to_sighting
from monitor.store.tables import FollowUpAlertRow, SightingEventRow, SightingRow

CLAIM_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class PendingFollowUpAlert:
    alert_id: int
    client_id: str
    kind: str  # "removed" or "reappeared"
    at: datetime  # when the status changed
    note: str | None
    attempts: int
    delivered_targets: frozenset[str]
    sighting: Sighting


def claim_due_follow_up_alerts(
    db: Database, *, now: datetime, limit: int = 500
) -> list[PendingFollowUpAlert]:
    with db.session() as session:
        query = (
            select(FollowUpAlertRow, SightingRow, SightingEventRow)
            .join(SightingRow, col(SightingRow.id) == col(FollowUpAlertRow.sighting_id))
            .join(SightingEventRow, col(SightingEventRow.id) == col(FollowUpAlertRow.event_id))
            .where(
                col(FollowUpAlertRow.delivered_at).is_(None),
                col(FollowUpAlertRow.next_attempt_at) <= now,
                _unclaimed(now),
            )
            .order_by(col(FollowUpAlertRow.id))
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=FollowUpAlertRow)
        pending = []
        for alert, sighting, event in session.exec(query).all():
            assert alert.id is not None
            taken = session.execute(
                update(FollowUpAlertRow)
                .where(
                    col(FollowUpAlertRow.id) == alert.id,
                    col(FollowUpAlertRow.delivered_at).is_(None),
                    _unclaimed(now),
                )
                .values(claimed_until=now + CLAIM_LEASE)
            )
            if getattr(taken, "rowcount", 0) != 1:
                continue  # another claimer took it between our read and this write
            pending.append(
                PendingFollowUpAlert(
                    alert_id=alert.id,
                    client_id=alert.client_id,
                    kind=alert.kind,
                    at=event.at,
                    note=event.note,
                    attempts=alert.attempts,
                    delivered_targets=frozenset(alert.delivered_targets or ()),
                    sighting=to_sighting(sighting),
                )
            )
        return pending


def record_follow_up_delivery(
    db: Database,
    *,
    alert_ids: Sequence[int],
    now: datetime,
    succeeded: Collection[str],
    all_targets: Collection[str],
    error: str | None,
    retry_at: datetime,
) -> None:
    """Add the targets that took the message; done when every target has it, else retry later."""
    with db.session() as session:
        rows = session.exec(
            select(FollowUpAlertRow).where(col(FollowUpAlertRow.id).in_(alert_ids))
        ).all()
        for row in rows:
            delivered = set(row.delivered_targets or ()) | set(succeeded)
            row.delivered_targets = sorted(delivered)
            row.claimed_until = None
            row.attempts += 1
            if all_targets and set(all_targets) <= delivered:
                row.delivered_at = now
                row.last_error = None
            else:
                row.next_attempt_at = retry_at
                row.last_error = error
            session.add(row)


def count_undelivered_follow_up_alerts(db: Database) -> int:
    with db.session() as session:
        return len(
            session.exec(
                select(FollowUpAlertRow.id).where(col(FollowUpAlertRow.delivered_at).is_(None))
            ).all()
        )


def _unclaimed(now: datetime) -> Any:
    return or_(
        col(FollowUpAlertRow.claimed_until).is_(None), col(FollowUpAlertRow.claimed_until) < now
    )
