"""Which sightings are owed a capture, and the record of each capture made (or failed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from monitor.store.database import Database
from monitor.store.evidence import append_evidence
from monitor.store.tables import CaptureRow, SightingRow


@dataclass(frozen=True)
class OwedCapture:
    sighting_id: int
    client_id: str
    page_url: str
    first_seen: datetime


@dataclass(frozen=True)
class CaptureOutcome:
    kind: str  # "warc" or "screenshot"
    path: str | None
    plaintext_sha256: str | None
    encrypted_sha256: str | None
    size: int | None
    error: str | None


def owed_captures(
    db: Database, *, client_ids: list[str], since: datetime, limit: int = 50
) -> list[OwedCapture]:
    """Sightings of these clients first seen since `since` with no capture attempt yet."""
    if not client_ids:
        return []
    with db.session() as session:
        attempted = select(CaptureRow.sighting_id)
        rows = session.exec(
            select(SightingRow)
            .where(col(SightingRow.client_id).in_(client_ids))
            .where(col(SightingRow.first_seen) >= since)
            .where(col(SightingRow.status) != "dismissed")
            .where(col(SightingRow.id).not_in(attempted))
            .order_by(col(SightingRow.first_seen), col(SightingRow.id))
            .limit(limit)
        ).all()
        return [
            OwedCapture(
                sighting_id=row.id or 0,
                client_id=row.client_id,
                page_url=row.page_url,
                first_seen=row.first_seen,
            )
            for row in rows
        ]


def record_captures(
    db: Database, *, owed: OwedCapture, at: datetime, outcomes: list[CaptureOutcome]
) -> None:
    """Keep every capture of one sighting with its digests, in the evidence log too."""
    with db.session() as session:
        for outcome in outcomes:
            row = CaptureRow(
                sighting_id=owed.sighting_id,
                client_id=owed.client_id,
                created_at=at,
                kind=outcome.kind,
                path=outcome.path,
                plaintext_sha256=outcome.plaintext_sha256,
                encrypted_sha256=outcome.encrypted_sha256,
                size=outcome.size,
                error=outcome.error,
            )
            session.add(row)
            session.flush()
            append_evidence(
                session,
                client_id=owed.client_id,
                kind="capture",
                at=at,
                sighting_id=owed.sighting_id,
                content={
                    "capture_id": row.id,
                    "capture_kind": outcome.kind,
                    "page_url": owed.page_url,
                    "plaintext_sha256": outcome.plaintext_sha256,
                    "encrypted_sha256": outcome.encrypted_sha256,
                    "size": outcome.size,
                    "error": outcome.error,
                },
            )
