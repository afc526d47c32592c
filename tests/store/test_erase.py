"""Erasing a client: every row of theirs in every table, today's and tomorrow's, and only theirs.

The rows are made from the schema itself (one per table that can hold a client's rows, every
column filled), so a table someone adds later is put to the test without editing this file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from monitor.errors import UnknownClientError
from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item, list_clients, load_index_entries
from monitor.store.erase import client_tables, erase_client, erase_client_files
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import list_sightings, record_sighting

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def _value(table: Table, column: Column[Any], *, client_id: str, ids: dict[str, Any]) -> Any:
    for key in column.foreign_keys:
        return ids.get(key.column.table.name)
    if column.name == "client_id":
        return client_id
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    if isinstance(kind, DateTime):
        return NOW
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 1
    if isinstance(kind, Float):
        return 0.5
    if isinstance(kind, String):
        text = f"{table.name}-{column.name}-{client_id}"
        return text[-kind.length :] if kind.length else text
    return None  # JSON and the like: empty is fine


def _generated_id(column: Column[Any]) -> bool:
    return bool(column.primary_key and not column.foreign_keys and isinstance(column.type, Integer))


def _fill_every_table(db: Database, client_id: str) -> dict[str, int]:
    """One row of the client in every table that can hold their rows (and in any table those
    reference, e.g. a staff account for a reviewer assignment). Rows per table."""
    ids: dict[str, Any] = {"client": client_id}
    needed = set(client_tables())
    for table in SQLModel.metadata.sorted_tables:
        needed |= {key.column.table.name for key in table.foreign_keys if table.name in needed}
    with db.engine.begin() as connection:
        clients = SQLModel.metadata.tables["client"]
        connection.execute(insert(clients).values(id=client_id, created_at=NOW))
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in needed or table.name == "client":
                continue
            values = {
                column.name: _value(table, column, client_id=client_id, ids=ids)
                for column in table.columns
                if not _generated_id(column)
            }
            result = connection.execute(insert(table).values(values))
            key = result.inserted_primary_key
            ids[table.name] = key[0] if key else None
    return _rows_of(db, client_id)


def _rows_of(db: Database, client_id: str) -> dict[str, int]:
    """Rows in each table that name the client in their `client_id` (or `id`, for client)."""
    counts: dict[str, int] = {}
    with db.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            column = table.c.get("client_id")
            if table.name == "client":
                column = table.c.id
            if column is None:
                continue
            counts[table.name] = connection.execute(
                select(func.count()).select_from(table).where(column == client_id)
            ).scalar_one()
    return counts


def _all_rows(db: Database) -> dict[str, int]:
    with db.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def test_erase_takes_every_row_of_the_client_in_every_table_and_nothing_else(
    db: Database,
) -> None:
    k1_before = _fill_every_table(db, "k1")
    k2_before = _fill_every_table(db, "k2")
    assert all(count == 1 for count in k1_before.values()), k1_before
    totals_before = _all_rows(db)

    removed = erase_client(db, "k1")

    assert removed == {name: 1 for name in client_tables()}
    assert set(_rows_of(db, "k1").values()) == {0}
    assert _rows_of(db, "k2") == k2_before
    totals_after = _all_rows(db)
    shared = set(totals_before) - set(client_tables()) - {"client"}
    assert {name: totals_after[name] for name in shared} == {
        name: totals_before[name] for name in shared
    }, "tables that hold nothing of a client (staff accounts, crawl state) are left alone"
    assert [client.id for client in list_clients(db)] == ["k2"]


def test_every_table_that_references_a_clients_rows_is_erased() -> None:
    erased = set(client_tables())
    for table in SQLModel.metadata.sorted_tables:
        parents = {key.column.table.name for key in table.foreign_keys}
        if "client_id" in table.c or parents & (erased | {"client"}):
            assert table.name in erased, f"{table.name} would keep a client's rows"


def test_erase_through_the_store_functions(db: Database) -> None:
    """The same with rows made the way the monitor makes them: a reviewed, alerted sighting."""
    for client_id, seed in (("k1", "1"), ("k2", "2")):
        add_client(db, client_id=client_id, notify_urls=[f"json://127.0.0.1:9/{client_id}"])
        item = enroll_item(
            db, client_id=client_id, hashes=[Hash("pdq", seed * 64)], sha256=None, origin="import"
        )
        recorded = record_sighting(
            db,
            observation=Observation(
                client_id=client_id,
                item_id=item.item_id,
                image_url="https://forum.example/same.jpg",
                page_url="https://forum.example/t/1",
                final_url="https://forum.example/same.jpg",
                source="forum",
                seen_at=NOW,
                distance=2,
                algorithm="pdq",
                sha256="c" * 64,
                http_status=200,
            ),
            takedown_url="https://forum.example/report",
        )
        change_status(
            db, sighting_id=recorded.sighting.id, to_status="confirmed", at=NOW, note="hers"
        )

    removed = erase_client(db, "k1")

    assert removed["item"] == 1
    assert removed["item_hash"] == 1
    assert removed["sighting"] == 1
    assert removed["outbox"] == 1
    assert removed["sighting_event"] == 1
    assert [s.client_id for s in list_sightings(db)] == ["k2"]
    assert {entry.client_id for entry in load_index_entries(db)} == {"k2"}


def test_an_unknown_client_is_a_clear_error_and_changes_nothing(db: Database) -> None:
    add_client(db, client_id="k2")
    with pytest.raises(UnknownClientError, match="no client 'ghost'"):
        erase_client(db, "ghost")
    assert [client.id for client in list_clients(db)] == ["k2"]


def test_a_hostile_id_is_data_not_sql(db: Database) -> None:
    hostile = "k1'; DROP TABLE sighting; --"
    add_client(db, client_id="bystander")
    add_client(db, client_id=hostile)
    erase_client(db, hostile)
    assert [client.id for client in list_clients(db)] == ["bystander"]
    assert "sighting" in inspect(db.engine).get_table_names()


def test_the_clients_captures_folder_goes_and_no_other(tmp_path: Path) -> None:
    captures = tmp_path / "captures"
    for client_id in ("k1", "k2"):
        (captures / client_id / "2026").mkdir(parents=True)
        (captures / client_id / "2026" / "1.warc.age").write_bytes(b"sealed")
        (captures / client_id / "2.png.age").write_bytes(b"sealed")

    assert erase_client_files(captures, "k1") == 2
    assert not (captures / "k1").exists()
    assert sorted(p.name for p in (captures / "k2").rglob("*")) == [
        "1.warc.age",
        "2.png.age",
        "2026",
    ]
    assert erase_client_files(captures, "k1") == 0, "nothing left: nothing to do"
    assert erase_client_files(tmp_path / "never-made", "k2") == 0
