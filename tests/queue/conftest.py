"""A PostgreSQL database with the monitor's schema and the task queue, one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.queue.app import install_queue
from tests.pg_cluster import PostgresCluster


@pytest.fixture
def queue_url(postgres: PostgresCluster) -> Iterator[str]:
    """The SQLAlchemy URL of a new database at the newest schema, task queue installed."""
    name = postgres.create_database()
    url = postgres.url(name)
    install_queue(url)
    yield url
    postgres.drop_database(name)
