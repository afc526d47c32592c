"""Clients and their enrolled fingerprints: add, list, enroll once, erase completely and alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from monitor.errors import UnknownClientError
from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.matching import IndexEntry
from monitor.store import Database
from monitor.store.clients import (
    ClientExistsError,
    add_client,
    count_items,
    enroll_item,
    get_client,
    list_clients,
    load_index_entries,
    load_item_digests,
)
from monitor.store.erase import erase_client
from monitor.store.outbox import claim_due_alerts
from monitor.store.records import Observation
from monitor.store.sightings import list_sightings, record_sighting

SEEN_AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DIGEST_A = "a" * 64
DIGEST_B = "b" * 64


def _hashes(seed: int) -> list[Hash]:
    return [
        Hash(algorithm="pdq", hex=f"{seed:064x}", variant="original"),
        Hash(algorithm="phash", hex=f"{seed:016x}", variant="rot90"),
        Hash(algorithm="dhash", hex=f"{seed + 1:016x}", variant="trimmed-flip"),
    ]


def _sight(db: Database, *, client_id: str, item_id: int, image_url: str) -> None:
    record_sighting(
        db,
        observation=Observation(
            client_id=client_id,
            item_id=item_id,
            image_url=image_url,
            page_url="https://forum.example/t/1",
            final_url=image_url,
            source="board",
            seen_at=SEEN_AT,
            distance=3,
            algorithm="pdq",
            sha256="c" * 64,
            http_status=200,
        ),
        takedown_url="https://forum.example/report",
    )


def _rows_mentioning(db: Database, client_id: str) -> dict[str, int]:
    counts = {}
    with db.engine.connect() as connection:
        for table in ("outbox", "sighting", "item_hash", "item"):
            counts[table] = connection.execute(
                text(f"SELECT count(*) FROM {table} WHERE client_id = :c"),
                {"c": client_id},
            ).scalar_one()
        counts["client"] = connection.execute(
            text("SELECT count(*) FROM client WHERE id = :c"), {"c": client_id}
        ).scalar_one()
    return counts


def test_add_then_get_and_list(db: Database) -> None:
    before = datetime.now(UTC)
    added = add_client(db, client_id="k2", notify_urls=["json://127.0.0.1:9/a", "ntfy://topic"])
    add_client(db, client_id="k1")

    fetched = get_client(db, "k2")

    assert fetched == added
    assert fetched.notify_urls == ("json://127.0.0.1:9/a", "ntfy://topic")
    assert fetched.created_at.tzinfo is UTC
    assert before <= fetched.created_at <= datetime.now(UTC)
    assert [client.id for client in list_clients(db)] == ["k1", "k2"]
    assert get_client(db, "k1").notify_urls == ()


def test_adding_an_existing_client_is_refused_and_changes_nothing(db: Database) -> None:
    add_client(db, client_id="k1", notify_urls=["json://127.0.0.1:9/first"])

    with pytest.raises(ClientExistsError, match="'k1' exists already"):
        add_client(db, client_id="k1", notify_urls=["json://127.0.0.1:9/second"])

    assert get_client(db, "k1").notify_urls == ("json://127.0.0.1:9/first",)


def test_unknown_client_is_named_in_the_error(db: Database) -> None:
    with pytest.raises(UnknownClientError, match="no client 'ghost'") as raised:
        get_client(db, "ghost")
    assert raised.value.client_id == "ghost"
    with pytest.raises(UnknownClientError):
        erase_client(db, "ghost")
    with pytest.raises(UnknownClientError):
        enroll_item(db, client_id="ghost", hashes=_hashes(1), sha256=None, origin="import")
    assert list_clients(db) == []


def test_empty_database_lists_nothing(db: Database) -> None:
    assert list_clients(db) == []
    assert count_items(db) == {}
    assert load_index_entries(db) == []
    assert load_item_digests(db) == {}


def test_enroll_stores_the_fingerprints_for_the_index(db: Database) -> None:
    add_client(db, client_id="k1")

    enrolled = enroll_item(
        db, client_id="k1", hashes=_hashes(7), sha256=DIGEST_A, origin="image", label="one"
    )

    assert enrolled.hashes == 3
    assert not enrolled.already_enrolled
    assert sorted(load_index_entries(db), key=lambda entry: entry.hash.algorithm) == sorted(
        (IndexEntry(client_id="k1", item_id=enrolled.item_id, hash=h) for h in _hashes(7)),
        key=lambda entry: entry.hash.algorithm,
    )
    assert load_item_digests(db) == {DIGEST_A: [("k1", enrolled.item_id)]}
    assert count_items(db) == {"k1": 1}


def test_the_same_bytes_enrolled_twice_give_back_the_first_item(db: Database) -> None:
    add_client(db, client_id="k1")
    first = enroll_item(db, client_id="k1", hashes=_hashes(7), sha256=DIGEST_A, origin="image")

    again = enroll_item(db, client_id="k1", hashes=_hashes(7), sha256=DIGEST_A, origin="image")

    assert again.already_enrolled
    assert again.item_id == first.item_id
    assert again.hashes == 3
    assert count_items(db) == {"k1": 1}
    assert len(load_index_entries(db)) == 3


def test_the_same_file_enrolled_after_an_upgrade_gets_this_versions_hashes(db: Database) -> None:
    """A file enrolled by an older version, enrolled again: the hashes this version computes and
    the item lacks (new regions, halves) are added to the same item, hashes it computes
    differently now are removed, nothing else changes."""
    add_client(db, client_id="k1")
    add_client(db, client_id="k2")
    stale = Hash("phash", f"{5:016x}", "win80-c")
    older = [*_hashes(7)[:2], stale]
    first = enroll_item(db, client_id="k1", hashes=older, sha256=DIGEST_A, origin="image")
    other = enroll_item(db, client_id="k2", hashes=older, sha256=DIGEST_A, origin="image")
    _sight(db, client_id="k1", item_id=first.item_id, image_url="https://a.example/1.jpg")
    newer = [*_hashes(7), Hash("pdq", f"{9:064x}", "half-l"), Hash("pdq", f"{9:064x}", "half-l")]

    again = enroll_item(db, client_id="k1", hashes=newer, sha256=DIGEST_A, origin="image")

    assert again.already_enrolled
    assert again.item_id == first.item_id
    assert again.hashes_added == 2  # the dHash and the half; the duplicate half once
    assert again.hashes_removed == 1  # the region's pHash as the older version computed it
    assert again.hashes == 4
    k1_hashes = {e.hash for e in load_index_entries(db) if e.client_id == "k1"}
    assert k1_hashes == set(newer)
    # Another client's item of the same file is that client's business: left as it was.
    assert {e.hash for e in load_index_entries(db) if e.client_id == "k2"} == set(older)
    assert other.item_id != first.item_id
    assert [s.item_id for s in list_sightings(db, client_id="k1")] == [first.item_id]
    # Fingerprints imported from a list (no file digest) are not topped up from another list.
    imported = enroll_item(db, client_id="k1", hashes=_hashes(3), sha256=None, origin="import")
    same_list = enroll_item(db, client_id="k1", hashes=_hashes(3), sha256=None, origin="import")
    assert (same_list.item_id, same_list.hashes_added) == (imported.item_id, 0)


def test_the_same_bytes_are_enrolled_separately_for_another_client(db: Database) -> None:
    add_client(db, client_id="k1")
    add_client(db, client_id="k2")
    for_k1 = enroll_item(db, client_id="k1", hashes=_hashes(7), sha256=DIGEST_A, origin="image")

    for_k2 = enroll_item(db, client_id="k2", hashes=_hashes(7), sha256=DIGEST_A, origin="image")

    assert not for_k2.already_enrolled
    assert for_k2.item_id != for_k1.item_id
    assert count_items(db) == {"k1": 1, "k2": 1}
    entries = load_index_entries(db)
    assert {(entry.client_id, entry.item_id) for entry in entries} == {
        ("k1", for_k1.item_id),
        ("k2", for_k2.item_id),
    }
    assert sorted(load_item_digests(db)[DIGEST_A]) == [
        ("k1", for_k1.item_id),
        ("k2", for_k2.item_id),
    ]


def test_the_same_fingerprints_imported_twice_give_back_the_first_item(db: Database) -> None:
    add_client(db, client_id="k1")
    first = enroll_item(db, client_id="k1", hashes=_hashes(1), sha256=None, origin="import")

    # The same set of hashes, listed in another order, from a list imported again.
    again = enroll_item(
        db, client_id="k1", hashes=list(reversed(_hashes(1))), sha256=None, origin="import"
    )

    assert again.already_enrolled
    assert again.item_id == first.item_id
    assert count_items(db) == {"k1": 1}
    assert len(load_index_entries(db)) == 3
    assert load_item_digests(db) == {}


def test_different_fingerprints_without_a_file_digest_are_separate_items(db: Database) -> None:
    add_client(db, client_id="k1")

    first = enroll_item(db, client_id="k1", hashes=_hashes(1), sha256=None, origin="import")
    second = enroll_item(db, client_id="k1", hashes=_hashes(2), sha256=None, origin="import")

    assert first.item_id != second.item_id
    assert not second.already_enrolled
    assert count_items(db) == {"k1": 2}


def test_remove_erases_everything_of_the_client_and_counts_it(db: Database) -> None:
    add_client(db, client_id="k1", notify_urls=["json://127.0.0.1:9/k1"])
    add_client(db, client_id="k2", notify_urls=["json://127.0.0.1:9/k2"])
    k1_items = [
        enroll_item(db, client_id="k1", hashes=_hashes(seed), sha256=digest, origin="image")
        for seed, digest in ((1, DIGEST_A), (2, DIGEST_B))
    ]
    k2_item = enroll_item(db, client_id="k2", hashes=_hashes(1), sha256=DIGEST_A, origin="image")
    shared_url = "https://forum.example/media/1.jpg"
    _sight(db, client_id="k1", item_id=k1_items[0].item_id, image_url=shared_url)
    _sight(db, client_id="k1", item_id=k1_items[1].item_id, image_url="https://x.example/2.jpg")
    _sight(db, client_id="k2", item_id=k2_item.item_id, image_url=shared_url)
    k2_before = _rows_mentioning(db, "k2")

    removed = erase_client(db, "k1")

    assert {table: count for table, count in removed.items() if count} == {
        "outbox": 2,
        "evidence_entry": 2,
        "sighting": 2,
        "item_hash": 6,
        "item": 2,
    }
    assert _rows_mentioning(db, "k1") == {
        "outbox": 0,
        "sighting": 0,
        "item_hash": 0,
        "item": 0,
        "client": 0,
    }
    # The other client, who was seen at the very same URL, keeps everything.
    assert _rows_mentioning(db, "k2") == k2_before
    assert [client.id for client in list_clients(db)] == ["k2"]
    assert get_client(db, "k2").notify_urls == ("json://127.0.0.1:9/k2",)
    assert [s.image_url for s in list_sightings(db, client_id="k2")] == [shared_url]
    assert {entry.client_id for entry in load_index_entries(db)} == {"k2"}
    assert load_item_digests(db) == {DIGEST_A: [("k2", k2_item.item_id)]}
    assert [alert.client_id for alert in claim_due_alerts(db, now=SEEN_AT)] == ["k2"]


def test_a_removed_client_can_be_added_again_from_nothing(db: Database) -> None:
    add_client(db, client_id="k1")
    enroll_item(db, client_id="k1", hashes=_hashes(1), sha256=DIGEST_A, origin="image")
    erase_client(db, "k1")

    add_client(db, client_id="k1")
    again = enroll_item(db, client_id="k1", hashes=_hashes(1), sha256=DIGEST_A, origin="image")

    assert not again.already_enrolled
    assert count_items(db) == {"k1": 1}


def test_removing_a_client_with_nothing_enrolled(db: Database) -> None:
    add_client(db, client_id="k1")

    removed = erase_client(db, "k1")
    assert not any(removed.values())
    assert "item" in removed
    assert list_clients(db) == []


def test_ids_and_urls_with_quotes_are_data_not_sql(db: Database) -> None:
    hostile_id = "k1'; DROP TABLE client; --"
    url = "json://127.0.0.1:9/path?x='\"&y=%00"
    add_client(db, client_id="bystander")
    add_client(db, client_id=hostile_id, notify_urls=[url])

    assert get_client(db, hostile_id).notify_urls == (url,)
    erase_client(db, hostile_id)
    assert [client.id for client in list_clients(db)] == ["bystander"]
