"""The alert outbox: claim what is due, mark what was delivered, reschedule what failed.

A claim is a lease: if the process dies while sending, the lease runs out and another delivery
picks the rows up again (at least once). Targets that already took a message are remembered per
row, so a retry goes only to the ones that failed (never twice to the same target).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col, select

from monitor.store.database import Database
from monitor.store.records import PendingAlert
from monitor.store.sightings import to_sighting
from monitor.store.tables import OutboxRow, SightingRow

CLAIM_LEASE = timedelta(minutes=5)


def claim_due_alerts(db: Database, *, now: datetime, limit: int = 500) -> list[PendingAlert]:
    with db.session() as session:
        query = (
            select(OutboxRow, SightingRow)
            .join(SightingRow, col(SightingRow.id) == col(OutboxRow.sighting_id))
            .where(
                col(OutboxRow.delivered_at).is_(None),
                col(OutboxRow.next_attempt_at) <= now,
                or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now),
            )
            .order_by(col(OutboxRow.id))
            .limit(limit)
        )
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=OutboxRow)
        pending = []
        for outbox, sighting in session.exec(query).all():
            assert outbox.id is not None
            taken = session.execute(
                update(OutboxRow)
                .where(
                    col(OutboxRow.id) == outbox.id,
                    col(OutboxRow.delivered_at).is_(None),
                    or_(col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) < now),
                )
                .values(claimed_until=now + CLAIM_LEASE)
            )
            if getattr(taken, "rowcount", 0) != 1:
                continue  # another claimer took it between our read and this write
            pending.append(
                PendingAlert(
                    outbox_id=outbox.id,
                    client_id=outbox.client_id,
                    attempts=outbox.attempts,
                    delivered_targets=frozenset(outbox.delivered_targets or ()),
                    sighting=to_sighting(sighting),
                )
            )
        return pending


def record_delivery(
    db: Database,
    *,
    outbox_ids: Sequence[int],
    now: datetime,
    succeeded: Collection[str],
    all_targets: Collection[str],
    error: str | None,
    retry_at: datetime,
) -> None:
    """Add the targets that took the message; done when every target has it, else retry later."""
    with db.session() as session:
        rows = session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(outbox_ids))).all()
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


def count_undelivered(db: Database) -> int:
    with db.session() as session:
        return len(
            session.exec(select(OutboxRow.id).where(col(OutboxRow.delivered_at).is_(None))).all()
        )
