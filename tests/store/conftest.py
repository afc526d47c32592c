"""A fresh database per test for the store's tests: every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.store import Database, open_database
from tests.conftest import postgres  # noqa: F401  (other conftests import it from here)
from tests.pg_cluster import PostgresCluster


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_db")
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    database = open_database(cluster.url(cluster.fresh_database()))
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """For the tests of what only SQLite has: the file, its permissions, WAL, pragmas."""
    database = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    yield database
    database.dispose()
