"""Source checkpoints in the database, so cursors and seed schedules survive restarts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.store.database import Database
from monitor.store.tables import SourceStateRow


class DatabaseSourceState:
    """The `SourceState` the running monitor gives its sources."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self, source: str) -> dict[str, Any]:
        with self._db.session() as session:
            row = session.get(SourceStateRow, source)
            return dict(row.state or {}) if row is not None else {}

    def save(self, source: str, state: dict[str, Any]) -> None:
        with self._db.session() as session:
            row = session.get(SourceStateRow, source) or SourceStateRow(
                source=source, updated_at=datetime.now(UTC)
            )
            row.state = dict(state)
            row.updated_at = datetime.now(UTC)
            session.add(row)
