"""The procrastinate app on the monitor's PostgreSQL database, and its schema.

procrastinate keeps its own tables (`procrastinate_*`) next to ours, with its own schema manager:
`monitor db upgrade` installs them once; they are not part of the Alembic chain.
"""

from __future__ import annotations

import logging

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.schema import SchemaManager
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

from monitor.errors import ConfigError
from monitor.queue import NEEDS_POSTGRESQL
from monitor.store.database import UPGRADE_HINT, redacted_url

log = logging.getLogger(__name__)
QUEUE_TABLE = "procrastinate_jobs"


def queue_conninfo(storage_url: str) -> str:
    """The libpq URL psycopg takes, from the SQLAlchemy URL of `storage.url`."""
    try:
        url = make_url(storage_url)
    except ArgumentError:
        raise ConfigError(f"storage.url: {storage_url!r} is not a database URL") from None
    if url.get_backend_name() != "postgresql":
        raise ConfigError(NEEDS_POSTGRESQL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def build_app(storage_url: str, *, pool_size: int = 10) -> App:
    """A procrastinate app with the monitor's tasks; open it with `async with app.open_async()`."""
    from monitor.queue.tasks import register_tasks  # tasks import the app's types, not the reverse

    connector = PsycopgConnector(
        conninfo=queue_conninfo(storage_url), min_size=1, max_size=max(2, pool_size)
    )
    app = App(connector=connector)
    register_tasks(app)
    return app


def queue_installed(storage_url: str) -> bool:
    """True when procrastinate's tables exist in the database."""
    try:
        with psycopg.connect(queue_conninfo(storage_url)) as connection:
            row = connection.execute("SELECT to_regclass(%s)", (QUEUE_TABLE,)).fetchone()
    except psycopg.Error as error:
        raise ConfigError(
            f"storage.url: cannot reach {redacted_url(storage_url)}: {error}"
        ) from None
    return row is not None and row[0] is not None


def install_queue(storage_url: str) -> bool:
    """Create procrastinate's tables unless they exist. Returns True when it created them."""
    if queue_installed(storage_url):
        return False
    try:
        with psycopg.connect(queue_conninfo(storage_url)) as connection:
            connection.execute(SchemaManager.get_schema())
    except psycopg.Error as error:
        raise ConfigError(
            f"storage.url: cannot install the task queue in {redacted_url(storage_url)}: {error}"
        ) from None
    return True


def work_is_queued(storage_url: str) -> bool:
    """PostgreSQL with the task queue installed: `monitor run` defers, `monitor worker`s work."""
    if not storage_url.startswith("postgresql"):
        return False
    if queue_installed(storage_url):
        return True
    log.warning(
        "PostgreSQL without the task queue: sweeping in this process; run `monitor db upgrade` "
        "to spread the work over `monitor worker` processes"
    )
    return False


def require_queue(storage_url: str) -> None:
    if not queue_installed(storage_url):
        raise ConfigError(
            f"storage.url: the database has no task queue (procrastinate tables) yet: "
            f"{UPGRADE_HINT}"
        )
