"""The review queue and per-client counts, limited to the clients a person may see."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.review_queue import client_overviews, client_sightings, new_sightings
from monitor.store.sightings import record_sighting

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _sighting(db: Database, client_id: str, number: int) -> int:
    item = enroll_item(
        db, client_id=client_id, hashes=[Hash("pdq", "c" * 64)], sha256=None, origin="import"
    ).item_id
    url = f"https://x.example/{client_id}/{number}.jpg"
    observation = Observation(
        client_id=client_id,
        item_id=item,
        image_url=url,
        page_url="https://x.example/",
        final_url=url,
        source="board",
        seen_at=T0 + timedelta(hours=number),
        distance=0,
        algorithm="pdq",
        sha256="d" * 64,
        http_status=200,
    )
    return record_sighting(db, observation=observation, takedown_url="mailto:a@x").sighting.id


def test_the_queue_holds_new_sightings_of_the_given_clients_oldest_first(db: Database) -> None:
    for client_id in ("A", "B", "C"):
        add_client(db, client_id=client_id)
    a2, a1, b1 = _sighting(db, "A", 2), _sighting(db, "A", 1), _sighting(db, "B", 3)
    change_status(db, sighting_id=a2, to_status="dismissed", at=T0)
    assert [s.id for s in new_sightings(db, client_ids=None)] == [a1, b1]
    assert [s.id for s in new_sightings(db, client_ids=["A"])] == [a1]
    assert new_sightings(db, client_ids=[]) == []
    assert [s.id for s in client_sightings(db, client_id="A")] == [a2, a1]


def test_overviews_count_every_status_and_list_clients_without_sightings(db: Database) -> None:
    for client_id in ("A", "B"):
        add_client(db, client_id=client_id)
    first = _sighting(db, "A", 1)
    _sighting(db, "A", 2)
    change_status(db, sighting_id=first, to_status="confirmed", at=T0)
    overviews = {o.client_id: o for o in client_overviews(db, client_ids=None)}
    assert overviews["A"].by_status == {"new": 1, "confirmed": 1, "reported": 0, "dismissed": 0}
    assert overviews["A"].total == 2
    assert overviews["B"].total == 0
    assert [o.client_id for o in client_overviews(db, client_ids=["B", "nobody"])] == ["B"]
