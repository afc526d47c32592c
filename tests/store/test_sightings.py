"""Sightings: evidence plus exactly one owed alert, however often and however concurrently seen."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from monitor.errors import MonitorError
from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.outbox import claim_due_alerts, count_undelivered
from monitor.store.records import Observation
from monitor.store.sightings import list_sightings, record_sighting

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
IMAGE = "https://forum.example/media/abc.jpg"
TAKEDOWN = "https://forum.example/report?post=1"


@pytest.fixture
def items(db: Database) -> dict[str, int]:
    """One enrolled item for each of two clients: {client: item_id}."""
    found = {}
    for client_id in ("k1", "k2"):
        add_client(db, client_id=client_id)
        found[client_id] = _enroll(db, client_id, seed=1)
    return found


def _enroll(db: Database, client_id: str, *, seed: int) -> int:
    hashes = [Hash(algorithm="pdq", hex=f"{seed:064x}")]
    return enroll_item(db, client_id=client_id, hashes=hashes, sha256=None, origin="import").item_id


def _observation(client_id: str, item_id: int, *, image_url: str = IMAGE) -> Observation:
    return Observation(
        client_id=client_id,
        item_id=item_id,
        image_url=image_url,
        page_url="https://forum.example/t/1",
        final_url="https://cdn.forum.example/abc.jpg",
        source="board",
        seen_at=T0,
        distance=4,
        algorithm="pdq",
        sha256="d" * 64,
        http_status=200,
        headers={"content-type": "image/jpeg", "server": "nginx"},
    )


def _outbox_rows(db: Database) -> list[tuple[int, str]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT sighting_id, client_id FROM outbox ORDER BY id")
        ).all()
    return [(int(sighting_id), str(client_id)) for sighting_id, client_id in rows]


def test_first_sight_is_new_evidence_with_one_owed_alert(
    db: Database, items: dict[str, int]
) -> None:
    observation = _observation("k1", items["k1"])

    recorded = record_sighting(db, observation=observation, takedown_url=TAKEDOWN)

    assert recorded.is_new
    sighting = recorded.sighting
    assert (sighting.client_id, sighting.item_id, sighting.image_url) == ("k1", items["k1"], IMAGE)
    assert sighting.first_seen == sighting.last_seen == T0
    assert sighting.times_seen == 1
    assert sighting.status == "new"
    assert sighting.takedown_url == TAKEDOWN
    assert sighting.final_url == "https://cdn.forum.example/abc.jpg"
    assert sighting.http_status == 200
    assert sighting.headers == {"content-type": "image/jpeg", "server": "nginx"}
    assert (sighting.distance, sighting.algorithm, sighting.sha256) == (4, "pdq", "d" * 64)
    assert list_sightings(db) == [sighting]
    assert _outbox_rows(db) == [(sighting.id, "k1")]
    [owed] = claim_due_alerts(db, now=T0)
    assert owed.sighting == sighting
    assert owed.attempts == 0
    assert owed.delivered_targets == frozenset()


def test_seen_again_updates_the_evidence_and_owes_no_second_alert(
    db: Database, items: dict[str, int]
) -> None:
    first = record_sighting(db, observation=_observation("k1", items["k1"]), takedown_url=TAKEDOWN)
    later = replace(_observation("k1", items["k1"]), seen_at=T0 + timedelta(hours=3))

    again = record_sighting(db, observation=later, takedown_url="https://other.example/report")

    assert not again.is_new
    assert again.sighting.id == first.sighting.id
    assert again.sighting.times_seen == 2
    assert again.sighting.first_seen == T0
    assert again.sighting.last_seen == T0 + timedelta(hours=3)
    assert again.sighting.takedown_url == TAKEDOWN, "the evidence keeps its first takedown link"
    assert _outbox_rows(db) == [(first.sighting.id, "k1")]
    assert count_undelivered(db) == 1
    [stored] = list_sightings(db)
    assert stored.times_seen == 2


def test_an_older_observation_arriving_late_does_not_move_last_seen_back(
    db: Database, items: dict[str, int]
) -> None:
    newer = replace(_observation("k1", items["k1"]), seen_at=T0 + timedelta(days=1))
    record_sighting(db, observation=newer, takedown_url=TAKEDOWN)

    late = record_sighting(db, observation=_observation("k1", items["k1"]), takedown_url=TAKEDOWN)

    assert late.sighting.last_seen == T0 + timedelta(days=1)
    assert late.sighting.times_seen == 2


def test_an_older_observation_arriving_late_moves_first_seen_back(
    db: Database, items: dict[str, int]
) -> None:
    newer = replace(_observation("k1", items["k1"]), seen_at=T0 + timedelta(minutes=1))
    record_sighting(db, observation=newer, takedown_url=TAKEDOWN)

    late = record_sighting(db, observation=_observation("k1", items["k1"]), takedown_url=TAKEDOWN)

    assert late.sighting.first_seen == T0


def test_one_image_matching_two_clients_is_two_sightings_and_two_alerts(
    db: Database, items: dict[str, int]
) -> None:
    for_k1 = record_sighting(db, observation=_observation("k1", items["k1"]), takedown_url=TAKEDOWN)
    for_k2 = record_sighting(db, observation=_observation("k2", items["k2"]), takedown_url=TAKEDOWN)

    assert for_k1.is_new
    assert for_k2.is_new
    assert for_k1.sighting.id != for_k2.sighting.id
    assert _outbox_rows(db) == [(for_k1.sighting.id, "k1"), (for_k2.sighting.id, "k2")]
    assert [s.image_url for s in list_sightings(db, client_id="k1")] == [IMAGE]
    assert [s.image_url for s in list_sightings(db, client_id="k2")] == [IMAGE]


def test_two_items_of_one_client_on_one_url_are_two_sightings(
    db: Database, items: dict[str, int]
) -> None:
    second_item = _enroll(db, "k1", seed=2)

    record_sighting(db, observation=_observation("k1", items["k1"]), takedown_url=TAKEDOWN)
    record_sighting(db, observation=_observation("k1", second_item), takedown_url=TAKEDOWN)

    assert sorted(s.item_id for s in list_sightings(db, client_id="k1")) == sorted(
        [items["k1"], second_item]
    )
    assert count_undelivered(db) == 2


def test_list_sightings_is_oldest_first_and_filters_by_client(
    db: Database, items: dict[str, int]
) -> None:
    for hours, url in ((5, "https://x.example/late.jpg"), (1, "https://x.example/early.jpg")):
        observation = replace(
            _observation("k1", items["k1"], image_url=url), seen_at=T0 + timedelta(hours=hours)
        )
        record_sighting(db, observation=observation, takedown_url=TAKEDOWN)
    record_sighting(db, observation=_observation("k2", items["k2"]), takedown_url=TAKEDOWN)

    assert [s.image_url for s in list_sightings(db, client_id="k1")] == [
        "https://x.example/early.jpg",
        "https://x.example/late.jpg",
    ]
    assert [s.client_id for s in list_sightings(db, client_id="k2")] == ["k2"]
    assert len(list_sightings(db)) == 3
    assert list_sightings(db, client_id="nobody") == []


def test_hostile_urls_and_headers_are_stored_as_given(db: Database, items: dict[str, int]) -> None:
    odd_url = "https://x.example/a b/\u202e'\";--/%00/" + "é" * 3000
    headers = {"x-weird": "line1\r\nline2", "set-cookie": "'; DROP TABLE sighting; --"}
    observation = replace(_observation("k1", items["k1"], image_url=odd_url), headers=headers)

    recorded = record_sighting(db, observation=observation, takedown_url=TAKEDOWN)

    [stored] = list_sightings(db)
    assert stored == recorded.sighting
    assert stored.image_url == odd_url
    assert stored.headers == headers


def test_a_sighting_for_an_item_that_is_not_enrolled_leaves_nothing(
    db: Database, items: dict[str, int]
) -> None:
    """E.g. the client was erased while a sweep that had loaded their fingerprints still ran."""
    ghost = _observation("k1", items["k1"] + 1000)

    with pytest.raises(MonitorError, match="no longer exists"):
        record_sighting(db, observation=ghost, takedown_url=TAKEDOWN)

    assert list_sightings(db) == []
    assert _outbox_rows(db) == []


WORKERS = 8
ROUNDS = 20


def _record_concurrently(db: Database, item_id: int) -> list[BaseException]:
    """WORKERS threads record the same observation at the same moment, ROUNDS times."""
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        for round_number in range(ROUNDS):
            observation = replace(
                _observation("k1", item_id, image_url=f"https://x.example/{round_number}.jpg"),
                seen_at=T0 + timedelta(seconds=worker),
            )
            barrier.wait(timeout=30)
            try:
                record_sighting(db, observation=observation, takedown_url=TAKEDOWN)
            except BaseException as error:  # collected and asserted on below
                errors.append(error)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_racing_writers_leave_one_sighting_and_one_alert(
    db: Database, items: dict[str, int]
) -> None:
    errors = _record_concurrently(db, items["k1"])

    assert errors == []
    sightings = list_sightings(db)
    assert sorted(s.image_url for s in sightings) == sorted(
        f"https://x.example/{n}.jpg" for n in range(ROUNDS)
    )
    assert len(_outbox_rows(db)) == ROUNDS
    assert sorted(sighting_id for sighting_id, _ in _outbox_rows(db)) == sorted(
        s.id for s in sightings
    )
    assert count_undelivered(db) == ROUNDS


def test_racing_writers_count_every_sight(db: Database, items: dict[str, int]) -> None:
    errors = _record_concurrently(db, items["k1"])

    assert errors == []
    sightings = list_sightings(db)
    assert sorted(s.times_seen for s in sightings) == [WORKERS] * ROUNDS
    assert {s.last_seen for s in sightings} == {T0 + timedelta(seconds=WORKERS - 1)}
