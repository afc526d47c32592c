from __future__ import annotations

import threading
from datetime import UTC, datetime

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.crawl import start_sweep
from monitor.store.erase import erase_client
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.shared_sweeps import (
    add_to_sweep,
    fingerprints_version,
    finish_poll,
    pages_visited,
)
from monitor.store.sightings import record_sighting
from monitor.store.tables import SweepRow

AT = datetime(2026, 11, 22, 10, tzinfo=UTC)


def _sweep(db: Database, sweep_id: int) -> SweepRow:
    with db.session() as session:
        row = session.get(SweepRow, sweep_id)
        assert row is not None
        return row


def test_counts_from_concurrent_tasks_add_up(db: Database) -> None:
    sweep_id = start_sweep(db, source="board", at=AT)

    def task() -> None:
        for _ in range(10):
            add_to_sweep(db, sweep_id=sweep_id, pages=1, images=2, new_sightings=1, failures=0)

    threads = [threading.Thread(target=task) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row = _sweep(db, sweep_id)
    assert (row.pages, row.images, row.new_sightings, row.failures) == (40, 80, 40, 0)
    assert pages_visited(db, sweep_id=sweep_id) == 40


def test_finishing_the_poll_keeps_what_tasks_counted(db: Database) -> None:
    sweep_id = start_sweep(db, source="board", at=AT)
    add_to_sweep(db, sweep_id=sweep_id, pages=3, failures=1)
    finish_poll(
        db, sweep_id=sweep_id, finished_at=AT, candidates=7, new_candidates=2, error="feed down"
    )
    add_to_sweep(db, sweep_id=sweep_id, images=5)
    row = _sweep(db, sweep_id)
    assert (row.candidates, row.new_candidates, row.error) == (7, 2, "feed down")
    assert (row.pages, row.images, row.failures) == (3, 5, 1)
    assert row.finished_at == AT


def test_unknown_sweep_counts_nothing_and_fails_nothing(db: Database) -> None:
    add_to_sweep(db, sweep_id=999, pages=1)
    assert pages_visited(db, sweep_id=999) == 0


def test_fingerprints_version_moves_on_enrol_and_erase(db: Database) -> None:
    empty = fingerprints_version(db)
    add_client(db, client_id="case-a")
    enroll_item(
        db,
        client_id="case-a",
        hashes=[Hash(algorithm="pdq", variant="original", hex="ab" * 32)],
        sha256=None,
        origin="import",
    )
    enrolled = fingerprints_version(db)
    assert enrolled != empty
    assert fingerprints_version(db) == enrolled
    erase_client(db, "case-a")
    assert fingerprints_version(db) != enrolled


def test_fingerprints_version_moves_when_a_false_positive_is_dismissed(db: Database) -> None:
    """Workers hold the dismissal suppressions in their matcher: a dismissal must reload it."""
    add_client(db, client_id="case-a")
    item = enroll_item(
        db,
        client_id="case-a",
        hashes=[Hash(algorithm="pdq", variant="original", hex="ab" * 32)],
        sha256=None,
        origin="import",
    ).item_id
    sighting = record_sighting(
        db,
        observation=Observation(
            client_id="case-a",
            item_id=item,
            image_url="https://x.example/a.jpg",
            page_url="https://x.example/",
            final_url="https://x.example/a.jpg",
            source="board",
            seen_at=datetime.now(UTC),
            distance=3,
            algorithm="pdq",
            sha256="c" * 64,
            http_status=200,
        ),
        takedown_url="mailto:abuse@x.example",
    ).sighting
    before = fingerprints_version(db)
    change_status(db, sighting_id=sighting.id, to_status="dismissed", at=datetime.now(UTC))
    assert fingerprints_version(db) != before
