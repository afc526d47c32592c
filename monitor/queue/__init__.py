"""The pipeline's stages as procrastinate tasks on PostgreSQL, for work spread over machines.

`monitor run` defers one poll per source and period; `monitor worker` processes (any number, on
any machine) poll, visit pages, check images and deliver alerts. See `tasks` for the guarantees.
"""

NEEDS_POSTGRESQL = (
    "storage.url: work spread over `monitor worker` processes needs PostgreSQL "
    '(storage.url = "postgresql+psycopg://user@host/db"); with SQLite, `monitor run` '
    "does all the work in one process"
)
MISSING_EXTRA = (
    "the task queue is not installed: install monitor with the `postgres` extra "
    "(pip install 'monitor[postgres]')"
)
