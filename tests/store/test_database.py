"""The database file: private permissions, WAL, foreign keys on, and only aware UTC times."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError, StatementError

from monitor.errors import ConfigError
from monitor.store import Database, open_database
from monitor.store.clients import add_client, get_client
from monitor.store.columns import UtcDateTime
from monitor.store.tables import ClientRow, ItemRow


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A umask that would leave new files world-readable: the database must not rely on it."""
    previous = os.umask(0o000)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("permissive_umask")
def test_new_database_and_its_wal_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "m.db"

    db = open_database(f"sqlite:///{path}")
    add_client(db, client_id="k1", notify_urls=["json://127.0.0.1:9/secret-token"])

    assert _mode(path) == 0o600
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        assert companion.exists(), f"{companion.name} should exist once the database is written"
        assert _mode(companion) == 0o600, f"{companion.name} is {oct(_mode(companion))}"
    db.dispose()


def test_an_existing_readable_database_file_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    path.touch()
    path.chmod(0o644)

    db = open_database(f"sqlite:///{path}")

    assert _mode(path) == 0o600
    db.dispose()


def test_wal_mode_is_on_and_kept_in_the_file(sqlite_db: Database, tmp_path: Path) -> None:
    with sqlite_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    # WAL is a property of the file: a plain sqlite3 connection sees it too.
    with sqlite3.connect(tmp_path / "m.db") as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_every_pooled_connection_has_foreign_keys_on(sqlite_db: Database) -> None:
    connections = [sqlite_db.engine.connect() for _ in range(3)]
    try:
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        for connection in connections:
            connection.close()


def test_foreign_keys_are_enforced(db: Database) -> None:
    orphan = ItemRow(
        client_id="nobody",
        created_at=datetime.now(UTC),
        origin="image",
        fingerprint_digest="0" * 64,
    )

    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), db.session() as session:
        session.add(orphan)

    with db.session() as session:
        assert session.get(ItemRow, 1) is None


def test_a_failed_session_block_commits_nothing(db: Database) -> None:
    def write_then_fail() -> None:
        with db.session() as session:
            session.add(ClientRow(id="half-done", created_at=datetime.now(UTC), notify_urls=[]))
            session.flush()
            raise LookupError("something went wrong after the write")

    with pytest.raises(LookupError):
        write_then_fail()

    with db.session() as session:
        assert session.get(ClientRow, "half-done") is None


def test_naive_datetimes_are_refused(db: Database) -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)

    with pytest.raises(StatementError, match="naive datetime"), db.session() as session:
        session.add(ClientRow(id="k1", created_at=naive, notify_urls=[]))

    with db.session() as session:
        assert session.get(ClientRow, "k1") is None


def test_times_come_back_aware_utc_and_the_same_instant(db: Database) -> None:
    eastern = timezone(timedelta(hours=-5))
    written = datetime(2026, 3, 4, 22, 30, 15, 123456, tzinfo=eastern)
    with db.session() as session:
        session.add(ClientRow(id="k1", created_at=written, notify_urls=[]))

    read = get_client(db, "k1").created_at

    assert read.tzinfo is UTC
    assert read == written
    assert read.isoformat() == "2026-03-05T03:30:15.123456+00:00"


def test_utc_column_type_on_its_own() -> None:
    column = UtcDateTime()
    dialect = sqlite.dialect()
    plus_two = timezone(timedelta(hours=2))

    with pytest.raises(ValueError, match="naive"):
        column.process_bind_param(datetime(2026, 1, 1), dialect)
    assert column.process_bind_param(None, dialect) is None
    bound = column.process_bind_param(datetime(2026, 1, 1, 2, tzinfo=plus_two), dialect)
    assert bound == datetime(2026, 1, 1, tzinfo=UTC)
    assert bound is not None
    assert bound.tzinfo is UTC

    # SQLite hands back naive values: they were written as UTC, so they are read as UTC.
    assert column.process_result_value(datetime(2026, 1, 1, 5), dialect) == datetime(
        2026, 1, 1, 5, tzinfo=UTC
    )
    assert column.process_result_value(None, dialect) is None


def test_unusable_location_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")

    with pytest.raises(ConfigError, match=r"storage\.url: cannot open"):
        open_database(f"sqlite:///{blocker / 'm.db'}")


def test_a_file_that_is_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    impostor = tmp_path / "m.db"
    impostor.write_bytes(b"this is a text file, not SQLite\n" * 200)

    with pytest.raises(ConfigError, match=r"storage\.url: cannot open .*not a database"):
        open_database(f"sqlite:///{impostor}")


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    first = open_database(url)
    add_client(first, client_id="k1")
    first.dispose()

    second = open_database(url)

    assert get_client(second, "k1").id == "k1"
    second.dispose()
