from __future__ import annotations

import pytest

from monitor.errors import ConfigError
from monitor.queue.app import (
    install_queue,
    queue_conninfo,
    queue_installed,
    require_queue,
    work_is_queued,
)
from tests.pg_cluster import PostgresCluster


def test_conninfo_is_the_libpq_url_with_its_password() -> None:
    assert (
        queue_conninfo("postgresql+psycopg://monitor:s3cret@db.internal:5433/monitor")
        == "postgresql://monitor:s3cret@db.internal:5433/monitor"
    )


@pytest.mark.parametrize("url", ["sqlite:///monitor.db", "mysql://x@y/z"])
def test_a_database_other_than_postgresql_is_refused_with_the_reason(url: str) -> None:
    with pytest.raises(ConfigError, match="needs PostgreSQL"):
        queue_conninfo(url)


def test_garbage_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        queue_conninfo("::not a url::")


def test_sqlite_never_queues_work() -> None:
    assert work_is_queued("sqlite:///monitor.db") is False


def test_install_once_then_found(postgres: PostgresCluster) -> None:
    name = postgres.create_database()
    url = postgres.url(name)
    try:
        assert queue_installed(url) is False
        assert work_is_queued(url) is False  # PostgreSQL without the queue sweeps in-process
        with pytest.raises(ConfigError, match="monitor db upgrade"):
            require_queue(url)
        assert install_queue(url) is True
        assert install_queue(url) is False
        assert queue_installed(url) is True
        assert work_is_queued(url) is True
        require_queue(url)
    finally:
        postgres.drop_database(name)


def test_unreachable_database_says_which_without_the_password() -> None:
    with pytest.raises(ConfigError) as raised:
        queue_installed("postgresql+psycopg://monitor:s3cret@127.0.0.1:1/monitor")
    assert "s3cret" not in str(raised.value)
    assert "127.0.0.1" in str(raised.value)
