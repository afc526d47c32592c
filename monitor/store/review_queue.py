"""What a reviewer works through: new sightings and each client's counts, limited to the
clients a person may see (`client_ids=None` means every client, for admins)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from monitor.store.database import Database
from monitor.store.records import Sighting
from monitor.store.sightings import to_sighting
from monitor.store.tables import ClientRow, SightingRow

STATUSES = ("new", "confirmed", "reported", "dismissed")


@dataclass(frozen=True)
class ClientOverview:
    client_id: str
    by_status: dict[str, int]  # every status in STATUSES (0 when none), plus any other found

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def new_sightings(
    db: Database, *, client_ids: Collection[str] | None, limit: int = 500
) -> list[Sighting]:
    """Sightings nobody has reviewed yet, oldest first."""
    query = select(SightingRow).where(col(SightingRow.status) == "new")
    if client_ids is not None:
        query = query.where(col(SightingRow.client_id).in_(list(client_ids)))
    query = query.order_by(col(SightingRow.first_seen), col(SightingRow.id)).limit(limit)
    with db.session() as session:
        return [to_sighting(row) for row in session.exec(query).all()]


def client_sightings(db: Database, *, client_id: str, limit: int = 1000) -> list[Sighting]:
    """One client's sightings, newest first."""
    query = (
        select(SightingRow)
        .where(col(SightingRow.client_id) == client_id)
        .order_by(col(SightingRow.first_seen).desc(), col(SightingRow.id).desc())
        .limit(limit)
    )
    with db.session() as session:
        return [to_sighting(row) for row in session.exec(query).all()]


def client_overviews(db: Database, *, client_ids: Collection[str] | None) -> list[ClientOverview]:
    """Sightings per status for each client, by client id; clients without sightings too."""
    clients = select(ClientRow.id)
    counts = select(SightingRow.client_id, SightingRow.status, func.count()).group_by(
        col(SightingRow.client_id), col(SightingRow.status)
    )
    if client_ids is not None:
        wanted = list(client_ids)
        clients = clients.where(col(ClientRow.id).in_(wanted))
        counts = counts.where(col(SightingRow.client_id).in_(wanted))
    with db.session() as session:
        found: dict[str, dict[str, int]] = {
            client_id: dict.fromkeys(STATUSES, 0)
            for client_id in session.exec(clients.order_by(col(ClientRow.id))).all()
        }
        for client_id, status, count in session.exec(counts).all():
            if client_id in found:
                found[client_id][status] = count
    return [ClientOverview(client_id=key, by_status=value) for key, value in found.items()]
