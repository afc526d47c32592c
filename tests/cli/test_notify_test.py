"""`monitor notify-test --client ID`: does each of the client's alert routes work, right now?"""

from __future__ import annotations

import json
import socket

from monitor.demo.server import AlertReceiver
from monitor.store.clients import add_client
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli

CONFIG_PASSWORD = "cfg-Pass-4417"
DATABASE_PASSWORD = "db-Pass-9023"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # nothing listens here once the probe is closed


def test_notify_test_reports_each_url_and_never_prints_secrets(
    cli: Cli, alert_receiver: AlertReceiver
) -> None:
    closed = _closed_port()
    cli.env["ALERT_PASSWORD"] = CONFIG_PASSWORD
    write_config(
        cli,
        clients=(
            '[[clients]]\nid = "K-17"\n'
            f'notify = ["json://monitor:${{ALERT_PASSWORD}}@127.0.0.1:{alert_receiver.port}/alerts"]\n'
        ),
    )
    db = database(cli)
    add_client(
        db,
        client_id="K-17",
        notify_urls=[f"json://ally:{DATABASE_PASSWORD}@127.0.0.1:{closed}/hook"],
    )
    db.dispose()

    result = cli("notify-test", "--client", "K-17", "--json", check=False)
    assert result.code == 1, "one route failed"
    reports = json.loads(result.stdout)
    assert [(r["target"], r["ok"]) for r in reports] == [
        (f"json://127.0.0.1:{closed}/***", False),
        (f"json://127.0.0.1:{alert_receiver.port}/***", True),
    ]
    assert reports[0]["error"]
    assert reports[1]["error"] is None

    human = cli("notify-test", "--client", "K-17", check=False)
    assert human.code == 1
    lines = human.stdout.strip().splitlines()
    assert lines[0].startswith(f"json://127.0.0.1:{closed}/***: failed")
    assert lines[1] == f"json://127.0.0.1:{alert_receiver.port}/***: delivered"

    for output in (result.stdout, result.stderr, human.stdout, human.stderr):
        assert CONFIG_PASSWORD not in output
        assert DATABASE_PASSWORD not in output
        assert "Traceback" not in output

    assert len(alert_receiver.messages) == 2
    for message in alert_receiver.messages:
        assert "K-17" in message["title"]
        assert "test" in message["title"].lower()
        text = f"{message['title']}\n{message['message']}"
        assert "://" not in text, "a test alert carries no links"
        assert "www." not in text
        assert not message.get("attachments")


def test_notify_test_without_urls_says_how_to_add_one(cli: Cli) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    db.dispose()
    message = assert_clean_error(cli("notify-test", "--client", "K-17", check=False))
    assert "K-17 has no notification URL" in message
    assert "monitor client add K-17 --notify URL" in message
    assert "monitor.toml" in message


def test_notify_test_hint_names_the_clients_table_intact(cli: Cli) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    db.dispose()
    message = assert_clean_error(cli("notify-test", "--client", "K-17", check=False))
    assert "[[clients]] notify" in message
