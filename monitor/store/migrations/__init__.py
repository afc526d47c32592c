"""The schema's history as Alembic revisions, and running them on a connection.

SQLite databases are upgraded whenever they are opened; PostgreSQL ones only by
`monitor db upgrade`, so that an organisation decides when its shared schema changes.
Alembic runs programmatically on the engine's connection; no alembic.ini is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from monitor.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

# The tables databases had before migrations existed (their schema then was `create_all`'s).
LEGACY_TABLES = (
    "client",
    "item",
    "item_hash",
    "sighting",
    "outbox",
    "image_digest",
    "url_state",
    "sweep",
    "source_state",
    "source_outage",
    "sighting_event",
)
BASELINE = "0001"
WITH_NEW_CANDIDATES = "0002"


@dataclass(frozen=True)
class SchemaUpgrade:
    from_revision: str | None  # None: the database was empty
    to_revision: str

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    return config


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@cache
def known_revisions() -> frozenset[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(connection: Connection) -> SchemaUpgrade:
    """Bring the schema to the newest revision; adopts a database made before migrations."""
    before = current_revision(connection)
    if before is None and _has_legacy_tables(connection):
        before = _adopt_legacy_database(connection)
    if before == head_revision():
        return SchemaUpgrade(from_revision=before, to_revision=before)
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return SchemaUpgrade(from_revision=before, to_revision=head_revision())


def _has_legacy_tables(connection: Connection) -> bool:
    return bool(set(inspect(connection).get_table_names()) & set(LEGACY_TABLES))


def _adopt_legacy_database(connection: Connection) -> str:
    """Stamp a pre-migration database with the revision its schema matches.

    Such a database was made by `create_all` and may lack tables added after it was last opened
    (those never changed since, so today's definitions create them) and the one column
    added later, sweep.new_candidates, which decides between the two revisions.
    """
    SQLModel.metadata.create_all(
        connection, tables=[SQLModel.metadata.tables[name] for name in LEGACY_TABLES]
    )
    sweep_columns = {column["name"] for column in inspect(connection).get_columns("sweep")}
    revision = WITH_NEW_CANDIDATES if "new_candidates" in sweep_columns else BASELINE
    config = alembic_config()
    config.attributes["connection"] = connection
    command.stamp(config, revision)
    return revision
