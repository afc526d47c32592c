"""A person's review of sightings: confirm, dismiss as a false positive, record a report.

Every change is kept as an event with its time and note, so the history shows who decided what and
when. Only the transitions below are allowed; the re-check machinery adds removed/reappeared later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from monitor.errors import MonitorError
from monitor.store.database import Database
from monitor.store.evidence import append_evidence
from monitor.store.follow_up import after_status_change
from monitor.store.records import Sighting
from monitor.store.sightings import to_sighting
from monitor.store.suppressions import suppress_dismissed
from monitor.store.tables import SightingEventRow, SightingRow

ALLOWED_FROM: dict[str, frozenset[str]] = {
    "confirmed": frozenset({"new"}),
    "dismissed": frozenset({"new", "confirmed"}),
    "reported": frozenset({"confirmed", "reported", "reappeared"}),
    # Set by the re-check machinery (monitor.follow_up), never by a review command.
    "removed": frozenset({"confirmed", "reported", "reappeared"}),
    "reappeared": frozenset({"removed"}),
}


class ReviewError(MonitorError):
    pass


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    from_status: str
    to_status: str
    note: str | None
    reported_to: str | None
    route: str | None


def change_status(
    db: Database,
    *,
    sighting_id: int,
    to_status: str,
    at: datetime,
    note: str | None = None,
    reported_to: str | None = None,
    route: str | None = None,
) -> Sighting:
    """Move one sighting to `to_status` and keep the step in its history."""
    if to_status not in ALLOWED_FROM:
        raise ReviewError(
            f"{to_status!r} is not a review status; use one of: {', '.join(ALLOWED_FROM)}"
        )
    with db.session() as session:
        row = session.get(SightingRow, sighting_id)
        if row is None:
            raise ReviewError(f"no sighting {sighting_id}; list them with `monitor sightings`")
        if row.status not in ALLOWED_FROM[to_status]:
            allowed = " or ".join(sorted(ALLOWED_FROM[to_status]))
            raise ReviewError(
                f"sighting {sighting_id} is {row.status}; only a {allowed} sighting can be "
                f"marked {to_status}"
            )
        event = SightingEventRow(
            sighting_id=sighting_id,
            client_id=row.client_id,
            at=at,
            from_status=row.status,
            to_status=to_status,
            note=note,
            reported_to=reported_to,
            route=route,
        )
        session.add(event)
        append_evidence(
            session,
            client_id=row.client_id,
            kind="status",
            at=at,
            sighting_id=sighting_id,
            content={
                "from_status": row.status,
                "to_status": to_status,
                "note": note,
                "reported_to": reported_to,
                "route": route,
            },
        )
        if to_status == "dismissed":
            suppress_dismissed(session, sighting=row, at=at, note=note)
        row.status = to_status
        session.add(row)
        session.flush()
        after_status_change(session, sighting=row, event=event)
        return to_sighting(row)


def get_sighting(db: Database, sighting_id: int) -> Sighting:
    with db.session() as session:
        row = session.get(SightingRow, sighting_id)
        if row is None:
            raise ReviewError(f"no sighting {sighting_id}; list them with `monitor sightings`")
        return to_sighting(row)


def status_history(db: Database, sighting_id: int) -> list[StatusChange]:
    with db.session() as session:
        rows = session.exec(
            select(SightingEventRow)
            .where(col(SightingEventRow.sighting_id) == sighting_id)
            .order_by(col(SightingEventRow.at), col(SightingEventRow.id))
        ).all()
        return [
            StatusChange(
                at=row.at,
                from_status=row.from_status,
                to_status=row.to_status,
                note=row.note,
                reported_to=row.reported_to,
                route=row.route,
            )
            for row in rows
        ]
