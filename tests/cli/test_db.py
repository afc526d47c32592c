"""`monitor db upgrade` as a user runs it, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import json

from tests.cli import assert_clean_error, write_config
from tests.conftest import Cli
from tests.pg_cluster import PostgresCluster


def _use_postgresql(cli: Cli, url: str) -> None:
    config = write_config(cli)
    sqlite_url = f'url = "sqlite:///{cli.cwd / "monitor.db"}"'
    text = config.read_text(encoding="utf-8")
    assert sqlite_url in text
    config.write_text(text.replace(sqlite_url, f'url = "{url}"'), encoding="utf-8")


def test_upgrade_on_sqlite_creates_the_schema_then_has_nothing_to_do(cli: Cli) -> None:
    write_config(cli)

    first = cli("db", "upgrade")
    second = cli("--json", "db", "upgrade")

    assert "upgraded the database schema from empty to revision" in first.stdout
    assert json.loads(second.stdout)["changed"] is False
    assert (cli.cwd / "monitor.db").exists()


def test_postgresql_needs_an_explicit_upgrade(cli: Cli, postgres: PostgresCluster) -> None:
    name = postgres.create_database(migrated=False)
    try:
        _use_postgresql(cli, postgres.url(name))

        refused = cli("client", "add", "k1", check=False)
        assert "run `monitor db upgrade`" in assert_clean_error(refused)

        upgraded = json.loads(cli("--json", "db", "upgrade").stdout)
        assert upgraded["from_revision"] is None
        assert upgraded["changed"] is True

        cli("client", "add", "k1")
        assert "k1" in cli("client", "list").stdout
        assert "up to date" in cli("db", "upgrade").stdout
    finally:
        postgres.drop_database(name)


def test_an_unreachable_postgresql_is_a_clean_error_without_the_password(
    cli: Cli, postgres: PostgresCluster
) -> None:
    _use_postgresql(
        cli, f"postgresql+psycopg://monitor:hunter2@127.0.0.1:{postgres.port}/no_such_db"
    )

    result = cli("db", "upgrade", check=False)

    message = assert_clean_error(result)
    assert "cannot upgrade" in message
    assert "hunter2" not in result.stderr
