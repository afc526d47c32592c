"""The engine, its sessions, and first-time creation of the database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine

from monitor.errors import ConfigError, MonitorError
from monitor.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


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
        try:
            SQLModel.metadata.create_all(self.engine)
        except OperationalError as error:
            raise StoreError(f"cannot create the database at {self.url}: {error.orig}") from None

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
    """Open (and on first use create) the database the config names."""
    try:
        database = Database(url)
        database.create_schema()
    except (OSError, SQLAlchemyError) as error:
        raise ConfigError(f"storage.url: cannot open {url}: {error}") from None
    return database


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
