"""The review history of every sighting, as plain values, for `monitor stats`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from monitor.store.database import Database
from monitor.store.tables import SightingEventRow, SightingRow


@dataclass(frozen=True)
class StatusStep:
    at: datetime
    to_status: str


@dataclass(frozen=True)
class SightingHistory:
    sighting_id: int
    client_id: str
    page_url: str
    status: str
    steps: tuple[StatusStep, ...]  # oldest first


def load_histories(db: Database, *, client_id: str | None = None) -> list[SightingHistory]:
    with db.session() as session:
        sightings = select(SightingRow).order_by(col(SightingRow.id))
        events = select(SightingEventRow).order_by(
            col(SightingEventRow.at), col(SightingEventRow.id)
        )
        if client_id is not None:
            sightings = sightings.where(col(SightingRow.client_id) == client_id)
            events = events.where(col(SightingEventRow.client_id) == client_id)
        steps: dict[int, list[StatusStep]] = {}
        for event in session.exec(events).all():
            steps.setdefault(event.sighting_id, []).append(
                StatusStep(at=event.at, to_status=event.to_status)
            )
        histories = []
        for row in session.exec(sightings).all():
            assert row.id is not None
            histories.append(
                SightingHistory(
                    sighting_id=row.id,
                    client_id=row.client_id,
                    page_url=row.page_url,
                    status=row.status,
                    steps=tuple(steps.get(row.id, ())),
                )
            )
        return histories
