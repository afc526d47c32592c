"""Gathers everything the incident log shows for one client, as plain values.

No image and no capture content is ever read here: captures appear by their digests only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from monitor.errors import UnknownClientError
from monitor.follow_up.stats import SiteStats, StatsReport, compute_stats
from monitor.store.database import Database
from monitor.store.evidence import ChainReport, verify_evidence
from monitor.store.follow_up import CheckRecord, list_checks
from monitor.store.follow_up_stats import load_histories
from monitor.store.records import Sighting
from monitor.store.review import StatusChange, status_history
from monitor.store.sightings import list_sightings
from monitor.store.tables import CaptureRow, ClientRow
from monitor.store.takedowns import PreparedTakedown, takedowns_for


@dataclass(frozen=True)
class CaptureReference:
    kind: str
    created_at: datetime
    plaintext_sha256: str | None
    encrypted_sha256: str | None
    error: str | None


@dataclass(frozen=True)
class SightingRecord:
    sighting: Sighting
    history: tuple[StatusChange, ...]
    takedowns: tuple[PreparedTakedown, ...]
    checks: tuple[CheckRecord, ...]
    captures: tuple[CaptureReference, ...]


@dataclass(frozen=True)
class IncidentLog:
    client_id: str
    generated_at: datetime
    period_start: datetime | None  # first sighting shown
    period_end: datetime | None  # last time anything shown was seen or checked
    sightings: tuple[SightingRecord, ...]
    stats: StatsReport
    chain: ChainReport

    @property
    def totals(self) -> SiteStats:
        return self.stats.total


def collect_incident_log(db: Database, *, client_id: str, now: datetime) -> IncidentLog:
    with db.session() as session:
        if session.get(ClientRow, client_id) is None:
            raise UnknownClientError(client_id)
    records = tuple(
        SightingRecord(
            sighting=sighting,
            history=tuple(status_history(db, sighting.id)),
            takedowns=tuple(takedowns_for(db, sighting.id)),
            checks=tuple(list_checks(db, sighting_id=sighting.id)),
            captures=tuple(_captures(db, sighting.id)),
        )
        for sighting in sorted(
            list_sightings(db, client_id=client_id), key=lambda s: (s.first_seen, s.id)
        )
    )
    [chain] = verify_evidence(db, client_id=client_id)
    return IncidentLog(
        client_id=client_id,
        generated_at=now,
        period_start=min((r.sighting.first_seen for r in records), default=None),
        period_end=max((_last_moment(r) for r in records), default=None),
        sightings=records,
        stats=compute_stats(load_histories(db, client_id=client_id)),
        chain=chain,
    )


def _last_moment(record: SightingRecord) -> datetime:
    moments = [record.sighting.last_seen]
    moments += [change.at for change in record.history]
    moments += [check.checked_at for check in record.checks]
    return max(moments)


def _captures(db: Database, sighting_id: int) -> list[CaptureReference]:
    with db.session() as session:
        rows = session.exec(
            select(CaptureRow)
            .where(col(CaptureRow.sighting_id) == sighting_id)
            .order_by(col(CaptureRow.created_at), col(CaptureRow.id))
        ).all()
        return [
            CaptureReference(
                kind=row.kind,
                created_at=row.created_at,
                plaintext_sha256=row.plaintext_sha256,
                encrypted_sha256=row.encrypted_sha256,
                error=row.error,
            )
            for row in rows
        ]
