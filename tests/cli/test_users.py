"""`monitor user add|list|assign`: passwords from stdin or a prompt, never from argv."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from monitor.cli import build_parser
from monitor.store.clients import add_client
from monitor.store.staff import find_login
from monitor.web.passwords import Passwords
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli, CliResult

PASSWORD = "a long enough passphrase"


def _with_stdin(cli: Cli, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cli.cwd,
        env=cli.env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_add_list_and_assign_accounts(cli: Cli) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    add_client(db, client_id="K-18")
    added = _with_stdin(
        cli,
        PASSWORD + "\n",
        "user",
        "add",
        "alice",
        "--role",
        "reviewer",
        "--client",
        "K-17",
        "--json",
    )
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {
        "username": "alice",
        "role": "reviewer",
        "clients": ["K-17"],
        "disabled": False,
    }
    assert (
        _with_stdin(cli, PASSWORD + "\n", "user", "add", "root", "--role", "admin").returncode == 0
    )
    cli("user", "assign", "alice", "K-18")
    listed = json.loads(cli("user", "list", "--json").stdout)
    assert [(u["username"], u["clients"]) for u in listed] == [
        ("alice", ["K-17", "K-18"]),
        ("root", "all"),
    ]
    login = find_login(db, "alice")
    assert login is not None
    assert login.password_hash.startswith("$argon2id$")
    assert PASSWORD not in login.password_hash
    assert Passwords().verify(password_hash=login.password_hash, password=PASSWORD)
    db.dispose()


def test_bad_passwords_and_roles_are_clean_errors(cli: Cli) -> None:
    write_config(cli)
    for stdin, args, expected in (
        ("short\n", ("carol", "--role", "admin"), "use at least 12"),
        ("\n", ("carol", "--role", "admin"), "no password on stdin"),
        (PASSWORD + "\n", ("carol", "--role", "admin", "--client", "K"), "an admin sees every"),
    ):
        completed = _with_stdin(cli, stdin, "user", "add", *args)
        result = CliResult(completed.returncode, completed.stdout, completed.stderr)
        assert expected in assert_clean_error(result)


def test_no_password_option_exists() -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["user", "add", "carol", "--role", "admin", "--password", "x" * 20])
