"""Erasing a client: every row of theirs in every table, in one transaction.

Which rows are a client's is read from the schema, not listed by hand, so a table added later is
covered without touching this module: a row is the client's when its `client_id` is the client,
or when it references (by foreign key) a row that is the client's -- a capture of one of their
sightings, a hash of one of their items. Tables that hold nothing of any client (crawl state,
staff accounts) are left alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import ColumnElement, Table, delete, or_, select
from sqlmodel import SQLModel

from monitor.errors import MonitorError, UnknownClientError
from monitor.store.database import Database
from monitor.store.tables import ClientRow

CLIENT_TABLE: Table = ClientRow.__table__  # type: ignore[attr-defined]


class EraseError(MonitorError):
    pass


def erase_client(db: Database, client_id: str) -> dict[str, int]:
    """Delete the client and every row of theirs; rows deleted per table, zeros included,
    parents before children (items before their fingerprints).

    The client's row is locked first, so a worker recording a sighting for them at the same
    moment waits, then fails for want of the client, instead of leaving a row behind.
    """
    with db.session() as session:
        if session.get(ClientRow, client_id, with_for_update=True) is None:
            raise UnknownClientError(client_id)
        owned_rows = _owned_rows(client_id)
        removed: dict[str, int] = {}
        for table, owned in reversed(owned_rows):  # children before the rows they reference
            result = session.execute(delete(table).where(owned))
            removed[table.name] = int(getattr(result, "rowcount", 0))
        session.execute(delete(CLIENT_TABLE).where(CLIENT_TABLE.c.id == client_id))
    return {table.name: removed[table.name] for table, _owned in owned_rows}


def client_tables() -> list[str]:
    """The tables that can hold a client's rows, parents before children."""
    return [table.name for table, _owned in _owned_rows("")]


def erase_client_files(captures: Path, client_id: str) -> int:
    """Remove the client's folder of captures, `<captures>/<client_id>/`; files removed."""
    folder = captures / client_id
    if folder.parent != captures or not folder.is_dir():
        return 0
    files = sum(1 for path in folder.rglob("*") if path.is_file() or path.is_symlink())
    try:
        shutil.rmtree(folder)
    except OSError as error:
        raise EraseError(
            f"the client's rows are erased, but their captures folder {folder} could not be "
            f"removed ({error.strerror or error}); remove it by hand"
        ) from None
    return files


def _owned_rows(client_id: str) -> list[tuple[Table, ColumnElement[bool]]]:
    """(table, condition selecting the client's rows) for every table that can hold them, in
    the metadata's dependency order: a table comes after every table it references."""
    owned: dict[Table, ColumnElement[bool]] = {CLIENT_TABLE: CLIENT_TABLE.c.id == client_id}
    found: list[tuple[Table, ColumnElement[bool]]] = []
    for table in SQLModel.metadata.sorted_tables:
        if table is CLIENT_TABLE:
            continue
        conditions: list[ColumnElement[bool]] = []
        if "client_id" in table.c:
            conditions.append(table.c.client_id == client_id)
        for key in table.foreign_keys:
            parent = key.column.table
            if parent is CLIENT_TABLE:
                if key.parent.name != "client_id":
                    conditions.append(key.parent == client_id)
            elif parent in owned:
                conditions.append(key.parent.in_(select(key.column).where(owned[parent])))
        if conditions:
            owned[table] = or_(conditions[0], *conditions[1:])
            found.append((table, owned[table]))
    return found
