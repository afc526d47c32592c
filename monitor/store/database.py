"""The engine, its sessions, and bringing the schema up to date (see `migrations`)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session, create_engine

from monitor.errors import ConfigError, MonitorError
from monitor.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)
from monitor.store.migrations import (
    SchemaUpgrade,
    current_revision,
    head_revision,
    known_revisions,
    upgrade_to_head,
)

UPGRADE_HINT = "run `monitor db upgrade`"


class StoreError(MonitorError):
    pass


class Database:
    """One database: SQLite file (WAL, 0600) or PostgreSQL. Sessions are short and explicit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _create_private_sqlite_file(url)
            self.engine: Engine = create_engine(
                url, connect_args={"timeout": 30, "check_same_thread": False}
            )
            event.listen(self.engine, "connect", _configure_sqlite)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)

    def create_schema(self) -> None:
        """SQLite: upgrade to the newest schema. PostgreSQL: refuse an out-of-date schema."""
        if self.is_sqlite:
            self.upgrade_schema()
        else:
            self.check_schema()

    def upgrade_schema(self) -> SchemaUpgrade:
        with self.engine.begin() as connection:
            return upgrade_to_head(connection)

    def check_schema(self) -> None:
        with self.engine.connect() as connection:
            found = current_revision(connection)
        wanted = head_revision()
        if found == wanted:
            return
        if found is None:
            raise ConfigError(
                f"storage.url: the database has no monitor schema yet: {UPGRADE_HINT}"
            )
        if found not in known_revisions():
            raise ConfigError(
                f"storage.url: the database schema is at revision {found}, which this version "
                f"of monitor does not know (a newer version upgraded it): upgrade monitor"
            )
        raise ConfigError(
            f"storage.url: the database schema is at revision {found}, this version of monitor "
            f"needs {wanted}: {UPGRADE_HINT}"
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed together when the block ends without error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except SQLAlchemyError:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    """Open the database the config names; on SQLite, create or upgrade its schema first."""
    try:
        database = Database(url)
        database.create_schema()
    except (OSError, SQLAlchemyError) as error:
        raise ConfigError(f"storage.url: cannot open {redacted_url(url)}: {error}") from None
    return database


def upgrade_database(url: str) -> SchemaUpgrade:
    """`monitor db upgrade`: bring any database's schema to the newest revision."""
    database: Database | None = None
    try:
        database = Database(url)
        return database.upgrade_schema()
    except (OSError, SQLAlchemyError) as error:
        raise ConfigError(f"storage.url: cannot upgrade {redacted_url(url)}: {error}") from None
    finally:
        if database is not None:
            database.dispose()


def redacted_url(url: str) -> str:
    """The URL without its password, which must not reach a terminal or a log."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "the configured URL"


def _create_private_sqlite_file(url: str) -> None:
    location = url.split(":///", 1)[1]
    if not location or location == ":memory:":
        return
    path = Path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(descriptor)
    os.chmod(path, 0o600)


def _configure_sqlite(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
