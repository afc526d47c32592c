"""The evidence log: a hash chain per client that any change, deletion or re-ordering breaks."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from monitor.errors import UnknownClientError
from monitor.fingerprint.hashes import Hash
from monitor.store import Database, StoreError
from monitor.store.clients import add_client, enroll_item
from monitor.store.erase import erase_client
from monitor.store.evidence import GENESIS_SHA256, append_evidence, verify_evidence
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import record_sighting
from monitor.store.tables import EvidenceEntryRow

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _append(db: Database, client_id: str, number: int) -> EvidenceEntryRow:
    with db.session() as session:
        return append_evidence(
            session,
            client_id=client_id,
            kind="recheck",
            at=T0 + timedelta(minutes=number),
            sighting_id=None,
            content={"number": number, "note": "straße ✓"},
        )


def _rows(db: Database, client_id: str) -> list[tuple[int, int, str, str, str]]:
    with db.engine.connect() as connection:
        return [
            (row.id, row.seq, row.content, row.prev_sha256, row.entry_sha256)
            for row in connection.execute(
                text(
                    "SELECT id, seq, content, prev_sha256, entry_sha256 FROM evidence_entry "
                    "WHERE client_id = :c ORDER BY seq"
                ),
                {"c": client_id},
            )
        ]


def _report(db: Database, client_id: str = "k1"):  # type: ignore[no-untyped-def]
    (report,) = verify_evidence(db, client_id=client_id)
    return report


def _execute(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(sql), params)


@pytest.fixture
def five_entries(db: Database) -> list[tuple[int, int, str, str, str]]:
    add_client(db, client_id="k1")
    for number in range(1, 6):
        _append(db, "k1", number)
    return _rows(db, "k1")


def test_entries_chain_by_seq_and_hash_over_canonical_content(db: Database) -> None:
    add_client(db, client_id="k1")
    add_client(db, client_id="k2")
    for number in range(3):
        _append(db, "k1", number)
    _append(db, "k2", 9)

    rows = _rows(db, "k1")
    assert [row[1] for row in rows] == [1, 2, 3]
    assert rows[0][3] == GENESIS_SHA256
    for (_, _, content, prev, entry), before in zip(rows, [None, *rows], strict=False):
        assert prev == (GENESIS_SHA256 if before is None else before[4])
        assert entry == hashlib.sha256((prev + content).encode("utf-8")).hexdigest()
    first = rows[0][2]
    parsed = json.loads(first)
    assert parsed == {
        "at": "2026-11-22T10:00:00.000000Z",
        "client_id": "k1",
        "data": {"note": "straße ✓", "number": 0},
        "format": 1,
        "kind": "recheck",
        "seq": 1,
        "sighting_id": None,
    }
    assert "straße ✓" in first  # UTF-8 as it is, not \\u escapes
    assert ", " not in first
    assert ": " not in first
    assert [row[1] for row in _rows(db, "k2")] == [1]  # each client has its own chain

    reports = {report.client_id: report for report in verify_evidence(db)}
    assert reports["k1"].intact
    assert reports["k1"].entries == 3
    assert reports["k1"].head_sha256 == rows[-1][4]
    assert reports["k2"].intact
    assert reports["k2"].entries == 1


def test_an_empty_log_is_intact_with_the_genesis_head(db: Database) -> None:
    add_client(db, client_id="k1")
    report = _report(db)
    assert report.intact
    assert report.entries == 0
    assert report.head_sha256 == GENESIS_SHA256


def test_an_entry_rolls_back_with_the_callers_transaction(db: Database) -> None:
    add_client(db, client_id="k1")

    def failing_work() -> None:
        with db.session() as session:
            append_evidence(
                session, client_id="k1", kind="status", at=T0, sighting_id=None, content={}
            )
            raise RuntimeError("the caller's work failed")

    with pytest.raises(RuntimeError):
        failing_work()
    assert _rows(db, "k1") == []


def test_unknown_kinds_clients_and_naive_times_are_refused(db: Database) -> None:
    add_client(db, client_id="k1")
    with pytest.raises(ValueError, match="not an evidence kind"), db.session() as session:
        append_evidence(session, client_id="k1", kind="gossip", at=T0, sighting_id=None, content={})
    with pytest.raises(StoreError, match="no client 'ghost'"), db.session() as session:
        append_evidence(
            session, client_id="ghost", kind="status", at=T0, sighting_id=None, content={}
        )
    with pytest.raises(ValueError, match="naive"), db.session() as session:
        append_evidence(
            session,
            client_id="k1",
            kind="status",
            at=datetime(2026, 1, 1),
            sighting_id=None,
            content={},
        )
    with pytest.raises(UnknownClientError):
        verify_evidence(db, client_id="ghost")


def test_changed_content_is_caught_at_that_entry(db: Database, five_entries: list) -> None:  # type: ignore[type-arg]
    entry_id, seq, content, _prev, _entry = five_entries[2]
    _execute(
        db,
        "UPDATE evidence_entry SET content = :c WHERE id = :i",
        c=content.replace('"number":3', '"number":4'),
        i=entry_id,
    )
    report = _report(db)
    assert not report.intact
    assert report.problem is not None
    assert (report.problem.seq, report.problem.entry_id, report.problem.kind) == (
        seq,
        entry_id,
        "content_altered",
    )
    assert report.head_sha256 == five_entries[1][4]  # the last entry that still holds


def test_changed_content_with_a_recomputed_hash_breaks_the_next_link(
    db: Database,
    five_entries: list,  # type: ignore[type-arg]
) -> None:
    entry_id, _seq, content, prev, _entry = five_entries[2]
    forged = content.replace('"number":3', '"number":4')
    _execute(
        db,
        "UPDATE evidence_entry SET content = :c, entry_sha256 = :h WHERE id = :i",
        c=forged,
        h=hashlib.sha256((prev + forged).encode()).hexdigest(),
        i=entry_id,
    )
    problem = _report(db).problem
    assert problem is not None
    assert (problem.seq, problem.entry_id, problem.kind) == (4, five_entries[3][0], "broken_link")


def test_a_deleted_entry_is_caught_as_a_gap(db: Database, five_entries: list) -> None:  # type: ignore[type-arg]
    _execute(db, "DELETE FROM evidence_entry WHERE id = :i", i=five_entries[1][0])
    problem = _report(db).problem
    assert problem is not None
    assert (problem.seq, problem.entry_id, problem.kind) == (3, five_entries[2][0], "seq_gap")
    assert "2..2 are missing" in problem.detail


def test_a_deleted_entry_with_renumbered_seqs_breaks_the_link(
    db: Database,
    five_entries: list,  # type: ignore[type-arg]
) -> None:
    _execute(db, "DELETE FROM evidence_entry WHERE id = :i", i=five_entries[1][0])
    for entry_id, seq, *_ in five_entries[2:]:
        _execute(db, "UPDATE evidence_entry SET seq = :s WHERE id = :i", s=seq - 1, i=entry_id)
    problem = _report(db).problem
    assert problem is not None
    assert (problem.seq, problem.entry_id, problem.kind) == (2, five_entries[2][0], "broken_link")


def test_entries_removed_from_the_end_are_caught_against_an_earlier_head(
    db: Database,
    five_entries: list,  # type: ignore[type-arg]
) -> None:
    earlier_head = five_entries[-1][4]
    assert _report(db).head_sha256 == earlier_head
    _execute(db, "DELETE FROM evidence_entry WHERE seq >= 4")

    shorter = _report(db)
    assert shorter.intact  # a shorter chain holds in itself...
    assert shorter.entries == 3
    (checked,) = verify_evidence(db, client_id="k1", earlier_head=earlier_head)
    assert checked.problem is not None  # ...but no longer reaches the head printed before
    assert (checked.problem.kind, checked.problem.seq) == ("head_missing", 4)
    (older,) = verify_evidence(db, client_id="k1", earlier_head=five_entries[1][4])
    assert older.intact
    with pytest.raises(ValueError, match="name the client"):
        verify_evidence(db, earlier_head=earlier_head)


def test_two_entries_swapped_are_caught(db: Database, five_entries: list) -> None:  # type: ignore[type-arg]
    (id2, _, content2, _, _), (id3, _, content3, _, _) = five_entries[1], five_entries[2]
    _execute(db, "UPDATE evidence_entry SET seq = -1 WHERE id = :i", i=id2)
    _execute(db, "UPDATE evidence_entry SET seq = 2, content = :c WHERE id = :i", c=content2, i=id3)
    _execute(db, "UPDATE evidence_entry SET seq = 3, content = :c WHERE id = :i", c=content3, i=id2)
    problem = _report(db).problem
    assert problem is not None
    assert (problem.seq, problem.entry_id) == (2, id3)


def test_rows_rewritten_whole_out_of_order_are_caught(db: Database, five_entries: list) -> None:  # type: ignore[type-arg]
    """Every column but the id swapped: the chain reads the same, the append order does not."""
    (id2, *_), (id3, *_) = five_entries[1], five_entries[2]
    columns = "seq = :s, at = :a, content = :c, prev_sha256 = :p, entry_sha256 = :e"
    _execute(db, "UPDATE evidence_entry SET seq = -1 WHERE id = :i", i=id2)
    for target, (_, seq, content, prev, entry) in ((id3, five_entries[1]), (id2, five_entries[2])):
        _execute(
            db,
            f"UPDATE evidence_entry SET {columns} WHERE id = :i",
            s=seq,
            a=T0 + timedelta(minutes=seq),
            c=content,
            p=prev,
            e=entry,
            i=target,
        )
    problem = _report(db).problem
    assert problem is not None
    assert (problem.seq, problem.entry_id, problem.kind) == (3, id2, "reordered")


def test_a_column_changed_without_its_content_is_caught(db: Database, five_entries: list) -> None:  # type: ignore[type-arg]
    _execute(db, "UPDATE evidence_entry SET kind = 'status' WHERE id = :i", i=five_entries[0][0])
    problem = _report(db).problem
    assert problem is not None
    assert (problem.seq, problem.kind) == (1, "columns_altered")
    assert "kind" in problem.detail


def _observation(client_id: str, item_id: int, seen_at: datetime) -> Observation:
    return Observation(
        client_id=client_id,
        item_id=item_id,
        image_url="https://x.example/a.jpg",
        page_url="https://x.example/t",
        final_url="https://cdn.x.example/a.jpg",
        source="board",
        seen_at=seen_at,
        distance=3,
        algorithm="pdq",
        sha256="b" * 64,
        http_status=200,
    )


def test_sightings_and_reviews_are_logged_with_their_evidence(db: Database) -> None:
    add_client(db, client_id="k1")
    item = enroll_item(
        db, client_id="k1", hashes=[Hash("pdq", "a" * 64)], sha256=None, origin="import"
    ).item_id
    first = record_sighting(
        db, observation=_observation("k1", item, T0), takedown_url="https://x.example/r"
    )
    record_sighting(
        db,
        observation=_observation("k1", item, T0 + timedelta(hours=1)),
        takedown_url="https://x.example/r",
    )
    change_status(
        db, sighting_id=first.sighting.id, to_status="confirmed", at=T0 + timedelta(hours=2)
    )

    entries = [json.loads(row[2]) for row in _rows(db, "k1")]
    assert [entry["kind"] for entry in entries] == ["first_seen", "seen_again", "status"]
    assert all(entry["sighting_id"] == first.sighting.id for entry in entries)
    assert entries[0]["data"] == {
        "item_id": item,
        "image_url": "https://x.example/a.jpg",
        "page_url": "https://x.example/t",
        "final_url": "https://cdn.x.example/a.jpg",
        "source": "board",
        "sha256": "b" * 64,
        "distance": 3,
        "algorithm": "pdq",
        "http_status": 200,
        "seen_at": "2026-11-22T10:00:00.000000Z",
    }
    assert entries[1]["at"] == "2026-11-22T11:00:00.000000Z"
    assert entries[2]["data"]["from_status"] == "new"
    assert entries[2]["data"]["to_status"] == "confirmed"
    assert _report(db).intact


def test_erasing_a_client_erases_its_log(db: Database) -> None:
    add_client(db, client_id="k1")
    _append(db, "k1", 1)
    removed = erase_client(db, "k1")
    assert removed["evidence_entry"] == 1
    assert _rows(db, "k1") == []


def test_concurrent_appenders_for_one_client_never_fork_the_chain(db: Database) -> None:
    add_client(db, client_id="k1")
    add_client(db, client_id="k2")
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def append_many(client_id: str, offset: int) -> None:
        try:
            start.wait()
            for number in range(10):
                _append(db, client_id, offset + number)
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=append_many, args=("k1" if n < 4 else "k2", n * 100))
        for n in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert [row[1] for row in _rows(db, "k1")] == list(range(1, 41))
    assert [row[1] for row in _rows(db, "k2")] == list(range(1, 21))
    assert all(report.intact for report in verify_evidence(db))
