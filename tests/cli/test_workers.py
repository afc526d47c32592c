"""`monitor worker` and the task queue `monitor db upgrade` installs, as a user runs them."""

from __future__ import annotations

import json

from tests.cli import assert_clean_error, write_config
from tests.conftest import Cli
from tests.pg_cluster import PostgresCluster


def test_worker_on_sqlite_says_it_needs_postgresql(cli: Cli) -> None:
    write_config(cli)
    refused = cli("worker", check=False)
    message = assert_clean_error(refused)
    assert "needs PostgreSQL" in message
    assert "monitor run" in message


def test_worker_concurrency_must_be_a_small_positive_number(cli: Cli) -> None:
    write_config(cli)
    for bad in ("0", "lots"):
        refused = cli("worker", "--concurrency", bad, check=False)
        assert refused.code == 2
        assert "--concurrency" in refused.stderr
        assert "Traceback" not in refused.stderr


def test_upgrade_installs_the_task_queue_once_and_the_worker_needs_it(
    cli: Cli, postgres: PostgresCluster
) -> None:
    name = postgres.create_database()  # our schema, no task queue: as before this version
    try:
        write_config(cli, storage_url=postgres.url(name))
        refused = cli("worker", check=False)
        assert "run `monitor db upgrade`" in assert_clean_error(refused)

        first = json.loads(cli("--json", "db", "upgrade").stdout)
        second = cli("db", "upgrade")

        assert first["task_queue_installed"] is True
        assert "task queue" not in second.stdout
        assert "up to date" in second.stdout
    finally:
        postgres.drop_database(name)
