"""`monitor client add|list|remove`: case labels, their notification URLs, complete removal."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime

from monitor.demo.pictures import draw_picture, encode
from monitor.fingerprint import fingerprint_enrolled
from monitor.store.clients import add_client, count_items, enroll_item, list_clients
from monitor.store.records import Observation
from monitor.store.sightings import list_sightings, record_sighting
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli, CliResult


def _run_with_stdin(cli: Cli, *args: str, stdin: int) -> CliResult:
    """Like `cli(...)`, with stdin given: a TTY or /dev/null, never the terminal pytest runs in."""
    completed = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cli.cwd,
        env=cli.env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)


def _client_ids(cli: Cli) -> list[str]:
    db = database(cli)
    try:
        return [client.id for client in list_clients(db)]
    finally:
        db.dispose()


def test_add_and_list_clients_with_their_notification_urls(cli: Cli) -> None:
    write_config(
        cli, clients='[[clients]]\nid = "K-17"\nnotify = ["json://127.0.0.1:9/from-config"]\n'
    )
    added = json.loads(cli("client", "add", "K-17", "--json").stdout)
    assert added["id"] == "K-17"
    assert added["notify_urls"] == 0
    assert added["created"].endswith("Z")

    human = cli("client", "add", "case.b_2", "--notify", "json://127.0.0.1:9/hook")
    assert "added client case.b_2 with 1 notification URL" in human.stdout

    listed = json.loads(cli("client", "list", "--json").stdout)
    assert [(row["id"], row["items"], row["notify_urls"]) for row in listed] == [
        ("K-17", 0, 1),  # the URL from [[clients]] in the config counts too
        ("case.b_2", 0, 1),
    ]


def test_invalid_client_ids_are_refused(cli: Cli) -> None:
    write_config(cli)
    for bad in ("Jane Doe", "../" + "a" * 10):
        message = assert_clean_error(cli("client", "add", bad, check=False))
        assert "not a valid client ID" in message
        assert bad in message
    assert _client_ids(cli) == []


def test_adding_a_client_twice_keeps_the_first(cli: Cli) -> None:
    write_config(cli)
    cli("client", "add", "K-17", "--notify", "json://127.0.0.1:9/first")
    message = assert_clean_error(
        cli("client", "add", "K-17", "--notify", "json://127.0.0.1:9/second", check=False)
    )
    assert "K-17" in message
    assert "exists already" in message
    db = database(cli)
    try:
        assert [client.notify_urls for client in list_clients(db)] == [
            ("json://127.0.0.1:9/first",)
        ]
    finally:
        db.dispose()


def test_an_invalid_apprise_url_is_refused_with_a_clear_message(cli: Cli) -> None:
    write_config(cli)
    result = cli(
        "client", "add", "K-17", "--notify", "tgramm://12345:AAE-bot-token/42", check=False
    )
    assert result.code == 2
    assert "Traceback" not in result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("error: --notify: not a valid Apprise URL")
    assert "AAE-bot-token" not in result.stderr
    assert _client_ids(cli) == []


def test_a_mistyped_apprise_url_is_not_echoed_in_a_log_line(cli: Cli) -> None:
    write_config(cli)
    result = cli("client", "add", "K-17", "--notify", "tgram//12345:AAE-bot-token/42", check=False)
    message = assert_clean_error(result)
    assert "AAE-bot-token" not in result.stderr
    assert "\n" not in message, "one message, not a log line and a message"


def _client_with_evidence(cli: Cli, client_id: str, seed: int) -> None:
    db = database(cli)
    try:
        add_client(db, client_id=client_id, notify_urls=["json://127.0.0.1:9/hook"])
        for offset in range(2):
            picture = encode(draw_picture(seed + offset))
            item = enroll_item(
                db,
                client_id=client_id,
                hashes=fingerprint_enrolled(picture, max_pixels=10_000_000),
                sha256=f"{seed + offset:064x}",
                origin="image",
            )
        record_sighting(
            db,
            observation=Observation(
                client_id=client_id,
                item_id=item.item_id,
                image_url=f"https://example.org/{client_id}.jpg",
                page_url="https://example.org/board",
                final_url=f"https://example.org/{client_id}.jpg",
                source="board",
                seen_at=datetime.now(UTC),
                distance=3,
                algorithm="pdq",
                sha256="ab" * 32,
                http_status=200,
            ),
            takedown_url="mailto:abuse@example.org",
        )
    finally:
        db.dispose()


def _rows_mentioning(cli: Cli, client_id: str) -> dict[str, int]:
    """Rows in any table that belong to the client, read straight from the SQLite file."""
    connection = sqlite3.connect(cli.cwd / "monitor.db")
    try:
        found: dict[str, int] = {}
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master")]
        for table in tables:
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            column = "client_id" if "client_id" in columns else "id" if table == "client" else None
            if column is None:
                continue
            (count,) = connection.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', (client_id,)
            ).fetchone()
            if count:
                found[table] = count
        return found
    finally:
        connection.close()


def test_remove_refuses_without_yes_when_it_cannot_ask(cli: Cli) -> None:
    write_config(cli)
    _client_with_evidence(cli, "K-17", seed=10)
    result = _run_with_stdin(cli, "client", "remove", "K-17", stdin=subprocess.DEVNULL)
    assert result.code != 0
    assert "Traceback" not in result.stderr
    assert "--yes" in result.stderr
    assert _client_ids(cli) == ["K-17"]
    assert _rows_mentioning(cli, "K-17")["sighting"] == 1


def test_remove_asks_on_a_terminal_and_no_keeps_everything(cli: Cli) -> None:
    write_config(cli)
    _client_with_evidence(cli, "K-17", seed=10)
    terminal, child_side = pty.openpty()
    try:
        os.write(terminal, b"n\n")
        result = _run_with_stdin(cli, "client", "remove", "K-17", stdin=child_side)
    finally:
        os.close(child_side)
        os.close(terminal)
    assert "Remove client K-17" in result.stdout
    assert "nothing removed" in result.stdout
    assert result.code == 1
    assert _rows_mentioning(cli, "K-17")["item"] == 2


def test_remove_yes_deletes_everything_of_the_client_and_nothing_else(cli: Cli) -> None:
    write_config(cli)
    _client_with_evidence(cli, "K-17", seed=10)
    _client_with_evidence(cli, "K-18", seed=20)
    before = _rows_mentioning(cli, "K-17")
    assert before["item"] == 2
    assert before["sighting"] == 1
    assert before["item_hash"] > 0

    removed = json.loads(cli("client", "remove", "K-17", "--yes", "--json").stdout)
    assert removed["id"] == "K-17"
    assert removed["removed"]["items"] == 2
    assert removed["removed"]["sightings"] == 1
    assert removed["removed"]["alerts"] == 1
    assert removed["removed"]["fingerprints"] == before["item_hash"]

    assert _rows_mentioning(cli, "K-17") == {}
    db = database(cli)
    try:
        assert [client.id for client in list_clients(db)] == ["K-18"]
        assert count_items(db) == {"K-18": 2}
        assert [sighting.client_id for sighting in list_sightings(db)] == ["K-18"]
    finally:
        db.dispose()

    again = assert_clean_error(cli("client", "remove", "K-17", "--yes", check=False))
    assert "no client 'K-17'" in again
