"""Sweeps whose work is spread over worker processes: the counters each task adds to, and the
cheap marker that tells a worker its match index is out of date.

In one process a sweep counts in memory and writes its totals once (`crawl.finish_sweep`); when
the stages run as tasks on many machines, each task adds its share in the database instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select

from monitor.store.database import Database
from monitor.store.tables import ItemHashRow, ItemRow, SuppressionRow, SweepRow


def add_to_sweep(
    db: Database,
    *,
    sweep_id: int,
    pages: int = 0,
    images: int = 0,
    new_sightings: int = 0,
    failures: int = 0,
) -> None:
    """Add one task's counts; the database adds, so concurrent tasks never overwrite each other."""
    with db.session() as session:
        session.execute(
            update(SweepRow)
            .where(col(SweepRow.id) == sweep_id)
            .values(
                pages=col(SweepRow.pages) + pages,
                images=col(SweepRow.images) + images,
                new_sightings=col(SweepRow.new_sightings) + new_sightings,
                failures=col(SweepRow.failures) + failures,
            )
        )


def finish_poll(
    db: Database,
    *,
    sweep_id: int,
    finished_at: datetime,
    candidates: int,
    new_candidates: int,
    error: str | None,
) -> None:
    """The source has been read: its candidates are queued; their tasks keep adding counts."""
    with db.session() as session:
        session.execute(
            update(SweepRow)
            .where(col(SweepRow.id) == sweep_id)
            .values(
                finished_at=finished_at,
                candidates=candidates,
                new_candidates=new_candidates,
                error=error,
            )
        )


def pages_visited(db: Database, *, sweep_id: int) -> int:
    with db.session() as session:
        row = session.get(SweepRow, sweep_id)
        return row.pages if row is not None else 0


def fingerprints_version(db: Database) -> tuple[int, ...]:
    """Changes whenever an item, fingerprint or suppression is added or removed: (count, max id)
    of each, because a matcher holds all three."""
    with db.session() as session:
        items = session.exec(select(func.count(), func.max(ItemRow.id))).one()
        hashes = session.exec(select(func.count(), func.max(ItemHashRow.id))).one()
        dismissed = session.exec(select(func.count(), func.max(SuppressionRow.id))).one()
    return (items[0], items[1] or 0, hashes[0], hashes[1] or 0, dismissed[0], dismissed[1] or 0)
