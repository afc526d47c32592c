"""Clients and their enrolled items (fingerprints only)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from monitor.errors import MonitorError, UnknownClientError
from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.matching import IndexEntry
from monitor.store.database import Database
from monitor.store.records import Client
from monitor.store.tables import (
    ClientRow,
    ItemHashRow,
    ItemRow,
)


class ClientExistsError(MonitorError):
    pass


@dataclass(frozen=True)
class EnrolledItem:
    item_id: int
    hashes: int
    already_enrolled: bool
    # The same file enrolled again after an upgrade: the hashes this version computes that the
    # item lacked (added), and those it no longer computes, or computes differently (removed).
    hashes_added: int = 0
    hashes_removed: int = 0


def add_client(db: Database, *, client_id: str, notify_urls: Sequence[str] = ()) -> Client:
    with db.session() as session:
        if session.get(ClientRow, client_id) is not None:
            raise ClientExistsError(
                f"client {client_id!r} exists already; see it with `monitor client list`"
            )
        row = ClientRow(id=client_id, created_at=datetime.now(UTC), notify_urls=list(notify_urls))
        session.add(row)
    return _client(row)


def get_client(db: Database, client_id: str) -> Client:
    with db.session() as session:
        row = session.get(ClientRow, client_id)
        if row is None:
            raise UnknownClientError(client_id)
        return _client(row)


def list_clients(db: Database) -> list[Client]:
    with db.session() as session:
        rows = session.exec(select(ClientRow).order_by(col(ClientRow.id))).all()
        return [_client(row) for row in rows]


def count_items(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.exec(
            select(ItemRow.client_id, func.count()).group_by(col(ItemRow.client_id))
        ).all()
        return {client_id: count for client_id, count in rows}


def enroll_item(
    db: Database,
    *,
    client_id: str,
    hashes: Sequence[Hash],
    sha256: str | None,
    origin: str,
    label: str | None = None,
) -> EnrolledItem:
    """Store one item's fingerprints.

    The same file (by SHA-256) or the same set of hashes enrolled again for the same client gives
    back the first item, so importing a list twice never doubles sightings and alerts. When the
    file is the same but this version of the fingerprinter computes hashes the item lacks, they
    are added to it (the item, its sightings and its evidence stay as they are): enrolling the
    same files again is how an upgrade's better matching reaches pictures enrolled before it.
    """
    digest = fingerprint_digest(hashes)
    with db.session() as session:
        if session.get(ClientRow, client_id) is None:
            raise UnknownClientError(client_id)
        same = col(ItemRow.fingerprint_digest) == digest
        if sha256 is not None:
            same = or_(same, col(ItemRow.sha256) == sha256)
        existing = session.exec(
            select(ItemRow).where(col(ItemRow.client_id) == client_id, same)
        ).first()
        if existing is not None and existing.id is not None:
            added = removed = 0
            if sha256 is not None and existing.sha256 == sha256:
                added, removed = _refresh_hashes(session, existing.id, client_id, hashes)
                existing.fingerprint_digest = digest
                session.add(existing)
            count = session.exec(
                select(func.count()).where(col(ItemHashRow.item_id) == existing.id)
            ).one()
            return EnrolledItem(
                item_id=existing.id,
                hashes=count,
                already_enrolled=True,
                hashes_added=added,
                hashes_removed=removed,
            )
        item = ItemRow(
            client_id=client_id,
            created_at=datetime.now(UTC),
            origin=origin,
            sha256=sha256,
            fingerprint_digest=digest,
            label=label,
        )
        session.add(item)
        session.flush()
        assert item.id is not None
        session.add_all(
            ItemHashRow(
                item_id=item.id,
                client_id=client_id,
                algorithm=h.algorithm,
                variant=h.variant,
                hex=h.hex,
            )
            for h in hashes
        )
        return EnrolledItem(item_id=item.id, hashes=len(hashes), already_enrolled=False)


def fingerprint_digest(hashes: Sequence[Hash]) -> str:
    lines = sorted(f"{h.algorithm}:{h.variant}:{h.hex}" for h in hashes)
    return hashlib.sha256("\n".join(lines).encode("ascii")).hexdigest()


def load_index_entries(db: Database) -> list[IndexEntry]:
    """Every client's fingerprints, for the match index."""
    with db.session() as session:
        rows = session.exec(select(ItemHashRow)).all()
        return [
            IndexEntry(
                client_id=row.client_id,
                item_id=row.item_id,
                hash=Hash(algorithm=row.algorithm, hex=row.hex, variant=row.variant),
            )
            for row in rows
        ]


def load_item_digests(db: Database) -> dict[str, list[tuple[str, int]]]:
    """SHA-256 of enrolled files -> [(client, item)]: an exact byte copy matches at distance 0."""
    with db.session() as session:
        rows = session.exec(
            select(ItemRow.sha256, ItemRow.client_id, ItemRow.id).where(
                col(ItemRow.sha256).is_not(None)
            )
        ).all()
    digests: dict[str, list[tuple[str, int]]] = {}
    for sha256, client_id, item_id in rows:
        if sha256 is not None and item_id is not None:
            digests.setdefault(sha256, []).append((client_id, item_id))
    return digests


def _client(row: ClientRow) -> Client:
    return Client(id=row.id, created_at=row.created_at, notify_urls=tuple(row.notify_urls or ()))


def _refresh_hashes(
    session: Session, item_id: int, client_id: str, hashes: Sequence[Hash]
) -> tuple[int, int]:
    """Make the item's stored hashes exactly `hashes`: (how many added, how many removed).

    A stale hash left beside its replacement under the same variant would pair one version's
    pHash with the other's dHash, so stale hashes are removed, not kept.
    """
    stored = session.exec(select(ItemHashRow).where(col(ItemHashRow.item_id) == item_id)).all()
    wanted = dict.fromkeys((h.algorithm, h.variant, h.hex) for h in hashes)
    kept: set[tuple[str, str, str]] = set()
    removed = 0
    for row in stored:
        key = (row.algorithm, row.variant, row.hex)
        if key in wanted and key not in kept:
            kept.add(key)
        else:
            session.delete(row)
            removed += 1
    missing = [key for key in wanted if key not in kept]
    session.add_all(
        ItemHashRow(
            item_id=item_id, client_id=client_id, algorithm=algorithm, variant=variant, hex=hex_
        )
        for algorithm, variant, hex_ in missing
    )
    return len(missing), removed
