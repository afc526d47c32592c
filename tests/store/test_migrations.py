"""Schema migrations: old databases upgrade without losing rows; models and migrations agree."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from monitor.errors import ConfigError
from monitor.store import open_database
from monitor.store.database import upgrade_database
from monitor.store.health import source_health
from monitor.store.migrations import (
    BASELINE,
    WITH_NEW_CANDIDATES,
    alembic_config,
    head_revision,
)
from monitor.store.sightings import list_sightings
from tests.pg_cluster import PostgresCluster

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
LATER = datetime(2026, 1, 2, 4, 0, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = cluster.create_database(migrated=False)
    yield cluster.url(name)
    cluster.drop_database(name)


def _migrate(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), {"t": T0, "later": LATER})
    engine.dispose()


def _fill_baseline_rows(url: str) -> None:
    """Rows as the previous schema (no sweep.new_candidates) held them."""
    _execute(
        url,
        "INSERT INTO client (id, created_at, notify_urls) VALUES ('k1', :t, '[]')",
        "INSERT INTO item (id, client_id, created_at, origin, fingerprint_digest)"
        " VALUES (1, 'k1', :t, 'image', 'ab')",
        "INSERT INTO item_hash (item_id, client_id, algorithm, variant, hex)"
        " VALUES (1, 'k1', 'pdq', 'original', 'ff')",
        "INSERT INTO sighting (id, client_id, item_id, image_url, page_url, final_url, source,"
        " first_seen, last_seen, times_seen, distance, algorithm, sha256, http_status, status,"
        " takedown_url) VALUES (1, 'k1', 1, 'https://x.example/1.jpg', 'https://x.example/',"
        " 'https://x.example/1.jpg', 'forum', :t, :t, 3, 4, 'pdq', 'cd', 200, 'new',"
        " 'https://x.example/report')",
        "INSERT INTO outbox (sighting_id, client_id, created_at, next_attempt_at, attempts)"
        " VALUES (1, 'k1', :t, :t, 0)",
        "INSERT INTO sweep (source, started_at, finished_at, candidates, pages, images,"
        " new_sightings, failures) VALUES ('forum', :t, :t, 7, 2, 7, 1, 0)",
        "INSERT INTO sweep (source, started_at, finished_at, candidates, pages, images,"
        " new_sightings, failures, error) VALUES ('forum', :later, :later, 0, 0, 0, 0, 1,"
        " 'timed out')",
    )


def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("client", "item", "item_hash", "sighting", "outbox", "sweep")
        }
    engine.dispose()
    return counts


def _assert_upgraded_with_rows(url: str) -> None:
    assert _row_counts(url) == {
        "client": 1,
        "item": 1,
        "item_hash": 1,
        "sighting": 1,
        "outbox": 1,
        "sweep": 2,
    }
    db = open_database(url)
    try:
        (health,) = source_health(db, sources=["forum"])
        assert health.last_sweep is not None
        assert health.last_sweep.new_candidates == 0  # the new column's default for old rows
        assert health.last_sweep.error == "timed out"
        (sighting,) = list_sightings(db, client_id="k1")
        assert sighting.times_seen == 3
        assert sighting.first_seen == T0
    finally:
        db.dispose()


def test_a_database_at_the_previous_revision_upgrades_without_losing_rows(
    empty_url: str,
) -> None:
    _migrate(empty_url, BASELINE)
    _fill_baseline_rows(empty_url)

    upgrade = upgrade_database(empty_url)

    assert (upgrade.from_revision, upgrade.to_revision) == (BASELINE, head_revision())
    assert upgrade.changed
    _assert_upgraded_with_rows(empty_url)


def test_upgrading_an_up_to_date_database_changes_nothing(empty_url: str) -> None:
    first = upgrade_database(empty_url)
    second = upgrade_database(empty_url)

    assert (first.from_revision, first.to_revision) == (None, head_revision())
    assert not second.changed


def test_a_sqlite_database_from_before_migrations_is_adopted_when_opened(tmp_path: Path) -> None:
    """What `create_all` made before Alembic: no alembic_version, no sweep.new_candidates, and
    (last opened long ago) no source_outage or sighting_event table."""
    url = f"sqlite:///{tmp_path / 'legacy.db'}"
    _migrate(url, BASELINE)
    _execute(
        url,
        "DROP TABLE alembic_version",
        "DROP TABLE sighting_event",
        "DROP TABLE source_outage",
    )
    _fill_baseline_rows(url)

    open_database(url).dispose()

    _assert_upgraded_with_rows(url)
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"sighting_event", "source_outage", "alembic_version"} <= tables


def test_a_sqlite_database_from_before_migrations_with_every_column_is_adopted(
    tmp_path: Path,
) -> None:
    # The newest schema a database made by `create_all` could have: migrations came with 0002.
    url = f"sqlite:///{tmp_path / 'recent.db'}"
    _migrate(url, WITH_NEW_CANDIDATES)
    _execute(url, "DROP TABLE alembic_version")

    open_database(url).dispose()

    engine = create_engine(url)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    engine.dispose()


def test_sqlite_is_upgraded_when_opened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _migrate(url, BASELINE)
    _fill_baseline_rows(url)

    open_database(url).dispose()

    _assert_upgraded_with_rows(url)


def test_postgresql_is_never_upgraded_behind_the_operators_back(postgres: PostgresCluster) -> None:
    name = postgres.create_database(migrated=False)
    url = postgres.url(name)
    try:
        with pytest.raises(ConfigError, match=r"no monitor schema yet: run `monitor db upgrade`"):
            open_database(url)
        _migrate(url, BASELINE)
        with pytest.raises(
            ConfigError, match=rf"at revision {BASELINE}, .* needs {head_revision()}: run `monitor"
        ):
            open_database(url)

        upgrade_database(url)

        open_database(url).dispose()
    finally:
        postgres.drop_database(name)


def test_a_schema_newer_than_this_version_is_refused(postgres: PostgresCluster) -> None:
    name = postgres.create_database()
    url = postgres.url(name)
    try:
        _execute(url, "UPDATE alembic_version SET version_num = 'from-the-future'")
        with pytest.raises(ConfigError, match=r"does not know .*: upgrade monitor"):
            open_database(url)
    finally:
        postgres.drop_database(name)


def test_a_password_in_the_url_is_not_shown_in_errors(postgres: PostgresCluster) -> None:
    url = f"postgresql+psycopg://someone:hunter2@127.0.0.1:{postgres.port}/no_such_database"

    with pytest.raises(ConfigError, match="cannot open") as raised:
        open_database(url)

    assert "hunter2" not in str(raised.value)


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def test_the_migrations_build_exactly_the_models_schema(empty_url: str) -> None:
    upgrade_database(empty_url)

    engine = create_engine(empty_url)
    with engine.connect() as connection:
        assert _differences(connection) == []
    engine.dispose()
