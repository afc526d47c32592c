"""Sightings: the evidence records, each written with its outbox row in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, literal, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from monitor.store.columns import UtcDateTime
from monitor.store.database import Database, StoreError
from monitor.store.evidence import append_evidence
from monitor.store.records import Observation, Sighting
from monitor.store.tables import ItemRow, OutboxRow, SightingRow


@dataclass(frozen=True)
class RecordedSighting:
    sighting: Sighting
    is_new: bool


def record_sighting(
    db: Database, *, observation: Observation, takedown_url: str
) -> RecordedSighting:
    """First sight: a new row plus an outbox row, committed together. Later sights: last_seen++.

    Uniqueness of (client, item, image URL) is the database's job, so two workers racing on the
    same image still leave one sighting and one alert.
    """
    for _attempt in range(3):
        try:
            with db.session() as session:
                existing = _find(session, observation)
                if existing is not None:
                    _seen_again(session, existing, observation)
                    _log_sight(session, existing, observation, kind="seen_again")
                    return RecordedSighting(sighting=to_sighting(existing), is_new=False)
                row = _new_row(observation, takedown_url)
                session.add(row)
                session.flush()
                assert row.id is not None
                _log_sight(session, row, observation, kind="first_seen")
                session.add(
                    OutboxRow(
                        sighting_id=row.id,
                        client_id=observation.client_id,
                        created_at=observation.seen_at,
                        next_attempt_at=observation.seen_at,
                        delivered_targets=[],
                    )
                )
                return RecordedSighting(sighting=to_sighting(row), is_new=True)
        except IntegrityError:
            if not _item_exists(db, observation):
                raise StoreError(
                    f"item {observation.item_id} of client {observation.client_id} no longer "
                    "exists (removed during the sweep); the sighting was not recorded"
                ) from None
            continue  # another writer inserted it first; go round and update theirs
    raise StoreError("could not record the sighting after three attempts")


def _item_exists(db: Database, observation: Observation) -> bool:
    with db.session() as session:
        item = session.get(ItemRow, observation.item_id)
        return item is not None and item.client_id == observation.client_id


def confirmed_image_urls(db: Database) -> list[str]:
    """Public image URLs of sightings a person confirmed: the seeds for reverse image search."""
    with db.session() as session:
        rows = session.exec(
            select(SightingRow.image_url)
            .where(col(SightingRow.status) == "confirmed")
            .distinct()
            .order_by(col(SightingRow.image_url))
        ).all()
        return list(rows)


def list_sightings(db: Database, *, client_id: str | None = None) -> list[Sighting]:
    with db.session() as session:
        query = select(SightingRow).order_by(col(SightingRow.first_seen), col(SightingRow.id))
        if client_id is not None:
            query = query.where(SightingRow.client_id == client_id)
        return [to_sighting(row) for row in session.exec(query).all()]


def _find(session: Session, observation: Observation) -> SightingRow | None:
    return session.exec(
        select(SightingRow).where(
            SightingRow.client_id == observation.client_id,
            SightingRow.item_id == observation.item_id,
            SightingRow.image_url == observation.image_url,
        )
    ).first()


def _seen_again(session: Session, row: SightingRow, observation: Observation) -> None:
    """Counted and bounded by the database, so concurrent sights never overwrite each other."""
    seen_at = literal(observation.seen_at, UtcDateTime())
    session.execute(
        update(SightingRow)
        .where(col(SightingRow.id) == row.id)
        .values(
            times_seen=col(SightingRow.times_seen) + 1,
            first_seen=case(
                (col(SightingRow.first_seen) > seen_at, seen_at), else_=col(SightingRow.first_seen)
            ),
            last_seen=case(
                (col(SightingRow.last_seen) < seen_at, seen_at), else_=col(SightingRow.last_seen)
            ),
        )
    )
    session.refresh(row)


def _log_sight(session: Session, row: SightingRow, observation: Observation, *, kind: str) -> None:
    """The evidence log entry of one sight, in the sighting's own transaction."""
    append_evidence(
        session,
        client_id=observation.client_id,
        kind=kind,
        at=observation.seen_at,
        sighting_id=row.id,
        content={
            "item_id": observation.item_id,
            "image_url": observation.image_url,
            "page_url": observation.page_url,
            "final_url": observation.final_url,
            "source": observation.source,
            "sha256": observation.sha256,
            "distance": observation.distance,
            "algorithm": observation.algorithm,
            "http_status": observation.http_status,
            "seen_at": observation.seen_at,
        },
    )


def _new_row(observation: Observation, takedown_url: str) -> SightingRow:
    return SightingRow(
        client_id=observation.client_id,
        item_id=observation.item_id,
        image_url=observation.image_url,
        page_url=observation.page_url,
        final_url=observation.final_url,
        source=observation.source,
        first_seen=observation.seen_at,
        last_seen=observation.seen_at,
        times_seen=1,
        distance=observation.distance,
        algorithm=observation.algorithm,
        sha256=observation.sha256,
        http_status=observation.http_status,
        headers=dict(observation.headers),
        status="new",
        takedown_url=takedown_url,
    )


def to_sighting(row: SightingRow) -> Sighting:
    assert row.id is not None
    return Sighting(
        id=row.id,
        client_id=row.client_id,
        item_id=row.item_id,
        image_url=row.image_url,
        page_url=row.page_url,
        final_url=row.final_url,
        source=row.source,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        times_seen=row.times_seen,
        distance=row.distance,
        algorithm=row.algorithm,
        sha256=row.sha256,
        http_status=row.http_status,
        headers=dict(row.headers or {}),
        status=row.status,
        takedown_url=row.takedown_url,
    )
