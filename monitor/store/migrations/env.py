"""Alembic's entry point: runs migrations on the connection `monitor.store.migrations` gives."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from monitor.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through `monitor db upgrade`, not the alembic command")
_run(connection)
