"""Dashboard accounts: who may sign in, with which role, and which clients a reviewer sees.

The store keeps password hashes only; hashing and checking passwords is `monitor.web.passwords`.
An admin sees every client; a reviewer only the clients assigned to them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import delete
from sqlmodel import Session, col, select

from monitor.errors import MonitorError, UnknownClientError
from monitor.store.database import Database
from monitor.store.tables import ClientRow, StaffClientRow, StaffUserRow

ROLES: Final = ("admin", "reviewer")
USERNAME_PATTERN: Final = r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}"


class StaffUserError(MonitorError):
    pass


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: str
    disabled: bool
    session_generation: int
    client_ids: tuple[str, ...]  # assigned clients (an admin sees all clients regardless)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class StaffLogin:
    user: StaffUser
    password_hash: str


def check_username(username: str) -> str:
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise StaffUserError(
            f"{username!r} is not a valid user name; use 1-100 letters, digits, '.', '_', '@' "
            "or '-', starting with a letter or digit"
        )
    return username


def check_role(role: str) -> str:
    if role not in ROLES:
        raise StaffUserError(f"{role!r} is not a role; use one of: {', '.join(ROLES)}")
    return role


def add_staff_user(
    db: Database,
    *,
    username: str,
    password_hash: str,
    role: str,
    client_ids: Sequence[str] = (),
) -> StaffUser:
    check_username(username)
    check_role(role)
    with db.session() as session:
        if _row_named(session, username) is not None:
            raise StaffUserError(
                f"user {username!r} exists already; see users with `monitor user list`"
            )
        for client_id in client_ids:
            _require_client(session, client_id)
        row = StaffUserRow(
            username=username,
            password_hash=password_hash,
            role=role,
            created_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        session.add_all(
            StaffClientRow(user_id=row.id, client_id=client_id)
            for client_id in sorted(set(client_ids))
        )
        session.flush()
        return _user(session, row)


def find_login(db: Database, username: str) -> StaffLogin | None:
    """The account and its password hash for signing in; None for an unknown name."""
    with db.session() as session:
        row = _row_named(session, username)
        if row is None:
            return None
        return StaffLogin(user=_user(session, row), password_hash=row.password_hash)


def get_staff_user(db: Database, user_id: int) -> StaffUser | None:
    with db.session() as session:
        row = session.get(StaffUserRow, user_id)
        return None if row is None else _user(session, row)


def list_staff_users(db: Database) -> list[StaffUser]:
    with db.session() as session:
        rows = session.exec(select(StaffUserRow).order_by(col(StaffUserRow.username))).all()
        return [_user(session, row) for row in rows]


def assign_client(db: Database, *, username: str, client_id: str) -> StaffUser:
    """Let `username` see `client_id`. Assigning it again changes nothing."""
    with db.session() as session:
        row = _require_user(session, username)
        _require_client(session, client_id)
        assert row.id is not None
        if session.get(StaffClientRow, (row.id, client_id)) is None:
            session.add(StaffClientRow(user_id=row.id, client_id=client_id))
            session.flush()
        return _user(session, row)


def unassign_client(db: Database, *, username: str, client_id: str) -> StaffUser:
    with db.session() as session:
        row = _require_user(session, username)
        session.execute(
            delete(StaffClientRow).where(
                col(StaffClientRow.user_id) == row.id,
                col(StaffClientRow.client_id) == client_id,
            )
        )
        session.flush()
        return _user(session, row)


def replace_password_hash(db: Database, *, user_id: int, password_hash: str) -> None:
    """Store a re-computed hash of the same password (stronger parameters); sessions stay."""
    with db.session() as session:
        row = session.get(StaffUserRow, user_id)
        if row is not None:
            row.password_hash = password_hash
            session.add(row)


def end_sessions(db: Database, *, user_id: int) -> None:
    """Sign the account out everywhere: every session cookie issued so far stops working."""
    with db.session() as session:
        row = session.get(StaffUserRow, user_id)
        if row is not None:
            row.session_generation += 1
            session.add(row)


def _row_named(session: Session, username: str) -> StaffUserRow | None:
    return session.exec(select(StaffUserRow).where(col(StaffUserRow.username) == username)).first()


def _require_user(session: Session, username: str) -> StaffUserRow:
    row = _row_named(session, username)
    if row is None:
        raise StaffUserError(f"no user {username!r}; see users with `monitor user list`")
    return row


def _require_client(session: Session, client_id: str) -> None:
    if session.get(ClientRow, client_id) is None:
        raise UnknownClientError(client_id)


def _user(session: Session, row: StaffUserRow) -> StaffUser:
    assert row.id is not None
    clients = session.exec(
        select(StaffClientRow.client_id)
        .where(col(StaffClientRow.user_id) == row.id)
        .order_by(col(StaffClientRow.client_id))
    ).all()
    return StaffUser(
        id=row.id,
        username=row.username,
        role=row.role,
        disabled=row.disabled,
        session_generation=row.session_generation,
        client_ids=tuple(clients),
    )
