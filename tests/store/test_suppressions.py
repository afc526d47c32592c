"""Dismissing a sighting remembers its image (digest and fingerprints) for that client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.crawl import save_digest
from monitor.store.erase import erase_client
from monitor.store.evidence import verify_evidence
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import record_sighting
from monitor.store.suppressions import load_suppressions

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
SEEN = (Hash("pdq", "ab" * 32), Hash("phash", "0f" * 8), Hash("dhash", "f0" * 8))


def _sighting(db: Database, client_id: str, *, sha256: str) -> int:
    add_client(db, client_id=client_id)
    item = enroll_item(
        db, client_id=client_id, hashes=[Hash("pdq", "a" * 64)], sha256=None, origin="import"
    ).item_id
    return record_sighting(
        db,
        observation=Observation(
            client_id=client_id,
            item_id=item,
            image_url="https://x.example/a.jpg",
            page_url="https://x.example/t",
            final_url="https://x.example/a.jpg",
            source="board",
            seen_at=T0,
            distance=3,
            algorithm="pdq",
            sha256=sha256,
            http_status=200,
        ),
        takedown_url="https://x.example/report",
    ).sighting.id


def _kinds(db: Database, client_id: str) -> list[tuple[str, dict[str, object]]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT kind, content FROM evidence_entry WHERE client_id = :c ORDER BY seq"),
            {"c": client_id},
        )
        return [(kind, json.loads(content)["data"]) for kind, content in rows]


def test_dismissing_suppresses_the_digest_and_fingerprints_for_that_client(db: Database) -> None:
    save_digest(db, sha256="d" * 64, at=T0, hashes=SEEN, error=None)
    sighting_id = _sighting(db, "k1", sha256="d" * 64)
    _sighting(db, "k2", sha256="d" * 64)

    change_status(
        db,
        sighting_id=sighting_id,
        to_status="dismissed",
        at=T0 + timedelta(hours=1),
        note="someone else",
    )

    (suppression,) = load_suppressions(db)
    assert suppression.client_id == "k1"
    assert suppression.sha256 == "d" * 64
    assert set(suppression.hashes) == set(SEEN)
    kinds = _kinds(db, "k1")
    assert [kind for kind, _ in kinds] == ["first_seen", "status", "suppressed"]
    assert kinds[1][1]["to_status"] == "dismissed"
    assert kinds[1][1]["note"] == "someone else"
    assert kinds[2][1]["sha256"] == "d" * 64
    assert len(kinds[2][1]["hashes"]) == 3  # type: ignore[arg-type]
    assert [kind for kind, _ in _kinds(db, "k2")] == ["first_seen"]
    assert all(report.intact for report in verify_evidence(db))

    removed = erase_client(db, "k1")
    assert removed["suppression"] == 1
    assert load_suppressions(db) == []


def test_without_cached_fingerprints_the_digest_alone_suppresses(db: Database) -> None:
    sighting_id = _sighting(db, "k1", sha256="e" * 64)
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    assert load_suppressions(db) == []  # confirming suppresses nothing

    change_status(db, sighting_id=sighting_id, to_status="dismissed", at=T0)
    (suppression,) = load_suppressions(db)
    assert (suppression.sha256, suppression.hashes) == ("e" * 64, ())
