"""Takedown requests prepared for sightings: kept as evidence of what was asked, where and when."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from monitor.store.database import Database, StoreError
from monitor.store.evidence import append_evidence
from monitor.store.tables import SightingRow, TakedownRow


@dataclass(frozen=True)
class PreparedTakedown:
    id: int
    sighting_id: int
    prepared_at: datetime
    route: str
    recipient: str
    subject: str | None
    body_sha256: str


def record_takedown(
    db: Database,
    *,
    sighting_id: int,
    prepared_at: datetime,
    route: str,
    recipient: str,
    subject: str,
    body: str,
) -> PreparedTakedown:
    """Keep one prepared request; its text's SHA-256 goes into the evidence log with it."""
    with db.session() as session:
        sighting = session.get(SightingRow, sighting_id)
        if sighting is None:
            raise StoreError(f"no sighting {sighting_id}; list them with `monitor sightings`")
        row = TakedownRow(
            sighting_id=sighting_id,
            client_id=sighting.client_id,
            prepared_at=prepared_at,
            route=route,
            recipient=recipient,
            subject=subject,
            body=body,
            body_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        )
        session.add(row)
        session.flush()
        append_evidence(
            session,
            client_id=row.client_id,
            kind="takedown",
            at=prepared_at,
            sighting_id=sighting_id,
            content={
                "takedown_id": row.id,
                "route": route,
                "recipient": recipient,
                "subject": subject,
                "body_sha256": row.body_sha256,
            },
        )
        return _to_record(row)


def takedowns_for(db: Database, sighting_id: int) -> list[PreparedTakedown]:
    with db.session() as session:
        rows = session.exec(
            select(TakedownRow)
            .where(col(TakedownRow.sighting_id) == sighting_id)
            .order_by(col(TakedownRow.prepared_at), col(TakedownRow.id))
        ).all()
        return [_to_record(row) for row in rows]


def _to_record(row: TakedownRow) -> PreparedTakedown:
    assert row.id is not None
    return PreparedTakedown(
        id=row.id,
        sighting_id=row.sighting_id,
        prepared_at=row.prepared_at,
        route=row.route,
        recipient=row.recipient,
        subject=row.subject,
        body_sha256=row.body_sha256,
    )
