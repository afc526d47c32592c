"""How each source is doing, from its recorded sweeps; and the outages the operator is told of.

Only finished sweeps count: a sweep that is running (or was cut off by a crash) has neither
succeeded nor failed. A sweep failed when it recorded a source error (the feed, page or API
itself could not be read); candidates that fail alone do not make the sweep fail. Sweeps of one
source never overlap, so their ids give their order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from monitor.store.database import Database
from monitor.store.records import SweepSummary
from monitor.store.tables import SightingRow, SourceOutageRow, SweepRow

MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class SweepStreak:
    """Where a source stands after its finished sweeps.

    `consecutive_failures` counts the failed sweeps since the last successful one;
    `first_failed_sweep` and `failing_since` are the first of them (None when the last sweep
    succeeded or none ran), `last_error` the error of the last sweep when it failed.
    """

    consecutive_failures: int
    first_failed_sweep: int | None
    failing_since: datetime | None
    last_error: str | None
    last_success: datetime | None  # when the last successful sweep started


@dataclass(frozen=True)
class SourceHealth:
    source: str
    last_sweep: SweepSummary | None  # the last finished sweep; None when the source never ran
    streak: SweepStreak
    sightings: int  # sightings this source found, all clients


@dataclass(frozen=True)
class Outage:
    """A source that failed enough sweeps in a row to tell the operator, until they are told
    it works again. `delivered_targets` are the operator URLs (by target id) that have taken
    the message now owed: the failure alert, or once `recovered_at` is set, the recovery."""

    source: str
    first_failed_sweep: int
    failing_since: datetime
    error: str
    failure_alerted_at: datetime | None
    recovered_at: datetime | None
    delivered_targets: frozenset[str]


def sweep_streak(db: Database, source: str) -> SweepStreak:
    with db.session() as session:
        return _streak(session, source)


def source_health(db: Database, *, sources: Sequence[str]) -> list[SourceHealth]:
    """One entry per name in `sources`, in that order; a source that never ran has no sweep."""
    with db.session() as session:
        sightings = dict(
            session.exec(
                select(SightingRow.source, func.count())
                .where(col(SightingRow.source).in_(list(sources)))
                .group_by(col(SightingRow.source))
            ).all()
        )
        return [
            SourceHealth(
                source=source,
                last_sweep=_last_sweep(session, source),
                streak=_streak(session, source),
                sightings=sightings.get(source, 0),
            )
            for source in sources
        ]


def get_outage(db: Database, source: str) -> Outage | None:
    with db.session() as session:
        row = session.get(SourceOutageRow, source)
        return None if row is None else _to_outage(row)


def open_outage(
    db: Database, *, source: str, first_failed_sweep: int, failing_since: datetime, error: str
) -> Outage:
    """Start owing the operator a failure alert for `source`. Opening it again is a no-op."""
    with db.session() as session:
        row = session.get(SourceOutageRow, source)
        if row is None:
            row = SourceOutageRow(
                source=source,
                first_failed_sweep=first_failed_sweep,
                failing_since=failing_since,
                error=error[:MAX_ERROR_CHARS],
                delivered_targets=[],
            )
            session.add(row)
            session.flush()
        return _to_outage(row)


def record_outage_delivery(db: Database, *, source: str, targets: Iterable[str]) -> None:
    """Remember that `targets` took the message now owed, so a retry does not repeat it there."""
    with db.session() as session:
        row = session.get(SourceOutageRow, source)
        if row is not None:
            row.delivered_targets = sorted({*(row.delivered_targets or ()), *targets})
            session.add(row)


def mark_failure_alerted(db: Database, *, source: str, at: datetime) -> None:
    with db.session() as session:
        row = session.get(SourceOutageRow, source)
        if row is not None and row.failure_alerted_at is None:
            row.failure_alerted_at = at
            row.delivered_targets = []
            session.add(row)


def mark_recovered(db: Database, *, source: str, at: datetime) -> None:
    """The outage is over; from now on the recovery alert is owed (to every target)."""
    with db.session() as session:
        row = session.get(SourceOutageRow, source)
        if row is not None and row.recovered_at is None:
            row.recovered_at = at
            row.delivered_targets = []
            session.add(row)


def close_outage(db: Database, source: str) -> None:
    with db.session() as session:
        row = session.get(SourceOutageRow, source)
        if row is not None:
            session.delete(row)


def _finished(source: str) -> list[ColumnElement[bool]]:
    return [col(SweepRow.source) == source, col(SweepRow.finished_at).is_not(None)]


def _last_sweep(session: Session, source: str) -> SweepSummary | None:
    row = session.exec(
        select(SweepRow).where(*_finished(source)).order_by(col(SweepRow.id).desc()).limit(1)
    ).first()
    if row is None:
        return None
    return SweepSummary(
        source=row.source,
        started_at=row.started_at,
        finished_at=row.finished_at,
        candidates=row.candidates,
        new_candidates=row.new_candidates,
        pages=row.pages,
        images=row.images,
        new_sightings=row.new_sightings,
        failures=row.failures,
        error=row.error,
    )


def _streak(session: Session, source: str) -> SweepStreak:
    last_success = session.exec(
        select(SweepRow)
        .where(*_finished(source), col(SweepRow.error).is_(None))
        .order_by(col(SweepRow.id).desc())
        .limit(1)
    ).first()
    failed = [*_finished(source), col(SweepRow.error).is_not(None)]
    if last_success is not None:
        failed.append(col(SweepRow.id) > last_success.id)
    count = session.exec(select(func.count()).select_from(SweepRow).where(*failed)).one()
    first = last = None
    if count:
        first = session.exec(
            select(SweepRow).where(*failed).order_by(col(SweepRow.id)).limit(1)
        ).first()
        last = session.exec(
            select(SweepRow).where(*failed).order_by(col(SweepRow.id).desc()).limit(1)
        ).first()
    return SweepStreak(
        consecutive_failures=count,
        first_failed_sweep=first.id if first is not None else None,
        failing_since=first.started_at if first is not None else None,
        last_error=last.error if last is not None else None,
        last_success=last_success.started_at if last_success is not None else None,
    )


def _to_outage(row: SourceOutageRow) -> Outage:
    return Outage(
        source=row.source,
        first_failed_sweep=row.first_failed_sweep,
        failing_since=row.failing_since,
        error=row.error,
        failure_alerted_at=row.failure_alerted_at,
        recovered_at=row.recovered_at,
        delivered_targets=frozenset(row.delivered_targets or ()),
    )
