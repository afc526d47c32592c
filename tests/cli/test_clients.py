"""`monitor client add|list|erase`: case labels, their notification URLs, complete erasure."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlmodel import SQLModel

from monitor.cli import build_parser
from monitor.cli.clients import run_erase
from monitor.demo.pictures import draw_picture, encode
from monitor.fingerprint import fingerprint_enrolled
from monitor.store.clients import add_client, count_items, enroll_item, list_clients
from monitor.store.records import Observation
from monitor.store.review import change_status
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
        recorded = record_sighting(
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
        change_status(
            db, sighting_id=recorded.sighting.id, to_status="confirmed", at=datetime.now(UTC)
        )
    finally:
        db.dispose()


def _rows_mentioning(cli: Cli, client_id: str) -> dict[str, int]:
    """Rows in any table whose `client_id` (or `id`, for client) is the client."""
    db = database(cli)
    try:
        found: dict[str, int] = {}
        with db.engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                column = table.c.id if table.name == "client" else table.c.get("client_id")
                if column is None:
                    continue
                count = connection.execute(
                    select(func.count()).select_from(table).where(column == client_id)
                ).scalar_one()
                if count:
                    found[table.name] = count
        return found
    finally:
        db.dispose()


def _type_back(cli: Cli, answer: bytes, *args: str) -> CliResult:
    terminal, child_side = pty.openpty()
    try:
        os.write(terminal, answer)
        return _run_with_stdin(cli, *args, stdin=child_side)
    finally:
        os.close(child_side)
        os.close(terminal)


def test_erase_refuses_without_yes_when_it_cannot_ask(cli: Cli) -> None:
    write_config(cli)
    _client_with_evidence(cli, "K-17", seed=10)
    result = _run_with_stdin(cli, "client", "erase", "K-17", stdin=subprocess.DEVNULL)
    assert result.code != 0
    assert "Traceback" not in result.stderr
    assert "--yes" in result.stderr
    assert _client_ids(cli) == ["K-17"]
    assert _rows_mentioning(cli, "K-17")["sighting"] == 1


def test_erase_wants_the_id_typed_back_not_a_yes(cli: Cli) -> None:
    write_config(cli)
    _client_with_evidence(cli, "K-17", seed=10)

    refused = _type_back(cli, b"y\n", "client", "erase", "K-17")
    assert "Erase client K-17" in refused.stdout
    assert "Type K-17 to confirm" in refused.stdout
    assert "nothing erased" in refused.stdout
    assert refused.code == 1
    assert _rows_mentioning(cli, "K-17")["item"] == 2

    erased = _type_back(cli, b"K-17\n", "client", "erase", "K-17")
    assert erased.code == 0, erased.stderr
    assert "erased client K-17: 2 enrolled items" in erased.stdout
    assert _rows_mentioning(cli, "K-17") == {}


def test_an_unknown_client_fails_before_anyone_is_asked(cli: Cli) -> None:
    write_config(cli)
    result = _run_with_stdin(cli, "client", "erase", "K-404", stdin=subprocess.DEVNULL)
    assert "no client 'K-404'" in assert_clean_error(result)


def test_remove_is_another_name_for_erase() -> None:
    parser = build_parser()
    for command in ("erase", "remove"):
        args = parser.parse_args(["client", command, "K-17", "--yes"])
        assert (args.handler, args.client_id, args.yes) == (run_erase, "K-17", True)


def test_erase_yes_deletes_everything_of_the_client_and_nothing_else(
    cli: Cli, storage_url: str
) -> None:
    write_config(
        cli,
        storage_url=storage_url,
        clients='[[clients]]\nid = "K-17"\nnotify = ["json://127.0.0.1:9/k17"]\n',
        sources="""
[[sources]]
name = "k17-alerts"
kind = "feed"
url = "https://alerts.example/feed"
clients = ["K-17"]
""",
    )
    _client_with_evidence(cli, "K-17", seed=10)
    _client_with_evidence(cli, "K-18", seed=20)
    for client_id in ("K-17", "K-18"):  # where sealed captures go: captures/<client>/ by default
        folder = cli.cwd / "captures" / client_id
        folder.mkdir(parents=True)
        (folder / "1-warc.warc.gz.age").write_bytes(b"age-encryption.org/v1 sealed")
    before = _rows_mentioning(cli, "K-17")
    others_before = _rows_mentioning(cli, "K-18")
    assert before["item"] == 2
    assert before["sighting"] == 1
    assert before["sighting_event"] == 1
    assert before["item_hash"] > 0

    erased = json.loads(cli("client", "erase", "K-17", "--yes", "--json").stdout)
    assert erased["id"] == "K-17"
    assert erased["removed"]["item"] == 2
    assert erased["removed"]["sighting"] == 1
    assert erased["removed"]["outbox"] == 1
    assert erased["removed"]["sighting_event"] == 1
    assert erased["removed"]["item_hash"] == before["item_hash"]
    assert erased["capture_files"] == 1
    assert erased["config_mentions"] == ["[[clients]]", "sources 'k17-alerts'"]
    assert not (cli.cwd / "captures" / "K-17").exists()
    assert (cli.cwd / "captures" / "K-18" / "1-warc.warc.gz.age").exists()

    assert _rows_mentioning(cli, "K-17") == {}
    assert _rows_mentioning(cli, "K-18") == others_before
    db = database(cli)
    try:
        assert [client.id for client in list_clients(db)] == ["K-18"]
        assert count_items(db) == {"K-18": 2}
        assert [sighting.client_id for sighting in list_sightings(db)] == ["K-18"]
    finally:
        db.dispose()

    again = assert_clean_error(cli("client", "erase", "K-17", "--yes", check=False))
    assert "no client 'K-17'" in again
