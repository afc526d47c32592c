"""Dashboard accounts in the store: roles, assigned clients, ending sessions."""

from __future__ import annotations

import pytest

from monitor.errors import UnknownClientError
from monitor.store import Database
from monitor.store.clients import add_client
from monitor.store.staff import (
    StaffUserError,
    add_staff_user,
    assign_client,
    end_sessions,
    find_login,
    get_staff_user,
    list_staff_users,
    unassign_client,
)

HASH = "$argon2id$v=19$m=65536,t=3,p=4$stand-in"


def test_an_account_keeps_its_hash_role_and_clients(db: Database) -> None:
    add_client(db, client_id="A-1")
    add_client(db, client_id="B-2")
    user = add_staff_user(
        db,
        username="alice",
        password_hash=HASH,
        role="reviewer",
        client_ids=["B-2", "A-1"],
    )
    assert (user.username, user.role, user.client_ids) == ("alice", "reviewer", ("A-1", "B-2"))
    assert not user.is_admin
    login = find_login(db, "alice")
    assert login is not None
    assert login.password_hash == HASH
    assert find_login(db, "ALICE") is None
    assert get_staff_user(db, user.id) == user


def test_names_roles_and_clients_are_checked(db: Database) -> None:
    add_staff_user(db, username="root", password_hash="h", role="admin")
    with pytest.raises(StaffUserError, match="exists already"):
        add_staff_user(db, username="root", password_hash="h", role="admin")
    with pytest.raises(StaffUserError, match="not a role"):
        add_staff_user(db, username="eve", password_hash="h", role="superuser")
    for hostile in ("", " root", "a/b", "x" * 101, "<script>", "-dash"):
        with pytest.raises(StaffUserError, match="not a valid user name"):
            add_staff_user(db, username=hostile, password_hash="h", role="admin")
    with pytest.raises(UnknownClientError):
        add_staff_user(db, username="bob", password_hash="h", role="reviewer", client_ids=["NO"])
    assert [user.username for user in list_staff_users(db)] == ["root"]


def test_assigning_twice_changes_nothing_and_unassigning_removes(db: Database) -> None:
    add_client(db, client_id="A-1")
    add_staff_user(db, username="bob", password_hash="h", role="reviewer")
    assign_client(db, username="bob", client_id="A-1")
    assert assign_client(db, username="bob", client_id="A-1").client_ids == ("A-1",)
    assert unassign_client(db, username="bob", client_id="A-1").client_ids == ()
    with pytest.raises(StaffUserError, match="no user 'carol'"):
        assign_client(db, username="carol", client_id="A-1")
    with pytest.raises(UnknownClientError):
        assign_client(db, username="bob", client_id="Z-9")


def test_ending_sessions_bumps_the_generation(db: Database) -> None:
    user = add_staff_user(db, username="root", password_hash="h", role="admin")
    end_sessions(db, user_id=user.id)
    again = get_staff_user(db, user.id)
    assert again is not None
    assert again.session_generation == user.session_generation + 1
