"""`monitor verify` as a user runs it: intact with the head hash, or where the log was tampered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from monitor.fingerprint.hashes import Hash
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import record_sighting
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _evidence(cli: Cli, storage_url: str) -> None:
    """Client k1 with a sighting seen twice and confirmed; client k2 with one sighting."""
    write_config(cli, storage_url=storage_url)
    db = database(cli)
    for client_id in ("k1", "k2"):
        add_client(db, client_id=client_id)
        item = enroll_item(
            db, client_id=client_id, hashes=[Hash("pdq", "c" * 64)], sha256=None, origin="import"
        ).item_id
        for hours in range(2 if client_id == "k1" else 1):
            sighting = record_sighting(
                db,
                observation=Observation(
                    client_id=client_id,
                    item_id=item,
                    image_url="https://x.example/1.jpg",
                    page_url="https://x.example/t",
                    final_url="https://x.example/1.jpg",
                    source="board",
                    seen_at=T0 + timedelta(hours=hours),
                    distance=0,
                    algorithm="pdq",
                    sha256="d" * 64,
                    http_status=200,
                ),
                takedown_url="https://x.example/report",
            ).sighting
        if client_id == "k1":
            change_status(db, sighting_id=sighting.id, to_status="confirmed", at=T0)
    db.dispose()


def _tamper(cli: Cli, sql: str) -> None:
    db = database(cli)
    with db.engine.begin() as connection:
        connection.execute(text(sql))
    db.dispose()


def test_verify_reports_intact_logs_with_their_head(cli: Cli, storage_url: str) -> None:
    _evidence(cli, storage_url)

    reports = json.loads(cli("verify", "--json").stdout)
    assert [(r["client"], r["intact"], r["entries"], r["problem"]) for r in reports] == [
        ("k1", True, 3, None),
        ("k2", True, 1, None),
    ]
    assert all(len(r["head_sha256"]) == 64 for r in reports)
    human = cli("verify", "--client", "k1").stdout
    assert f"k1: intact, 3 entries, head {reports[0]['head_sha256']}" in human
    assert "k2" not in human


def test_verify_finds_a_deleted_entry_and_exits_non_zero(cli: Cli, storage_url: str) -> None:
    _evidence(cli, storage_url)
    _tamper(cli, "DELETE FROM evidence_entry WHERE client_id = 'k1' AND seq = 2")

    result = cli("verify", check=False)
    assert result.code == 1
    assert "k1: BROKEN at seq 3" in result.stdout
    assert "seq_gap" in result.stdout
    assert "k2: intact, 1 entries" in result.stdout
    assert cli("verify", "--client", "k2").code == 0

    (k1,) = json.loads(cli("verify", "--client", "k1", "--json", check=False).stdout)
    assert k1["intact"] is False
    assert k1["problem"]["seq"] == 3
    assert k1["problem"]["kind"] == "seq_gap"


def test_verify_finds_changed_content(cli: Cli) -> None:
    _evidence(cli, f"sqlite:///{cli.cwd / 'monitor.db'}")
    _tamper(
        cli,
        "UPDATE evidence_entry SET content = REPLACE(content, 'x.example', 'y.example') "
        "WHERE client_id = 'k1' AND seq = 1",
    )
    (k1,) = json.loads(cli("verify", "--client", "k1", "--json", check=False).stdout)
    assert k1["problem"]["seq"] == 1
    assert k1["problem"]["kind"] == "content_altered"
    assert k1["head_sha256"] == "0" * 64


def test_verify_against_an_earlier_head_catches_a_shortened_log(cli: Cli) -> None:
    _evidence(cli, f"sqlite:///{cli.cwd / 'monitor.db'}")
    (k1,) = json.loads(cli("verify", "--client", "k1", "--json").stdout)
    head = k1["head_sha256"]
    assert cli("verify", "--client", "k1", "--head", head).code == 0
    _tamper(cli, "DELETE FROM evidence_entry WHERE client_id = 'k1' AND seq = 3")

    assert cli("verify", "--client", "k1").code == 0  # intact in itself
    result = cli("verify", "--client", "k1", "--head", head, check=False)
    assert result.code == 1
    assert "k1: BROKEN after seq 2: head_missing" in result.stdout
    assert_clean_error(cli("verify", "--head", head, check=False))
    assert_clean_error(cli("verify", "--client", "k1", "--head", "nothex", check=False))


def test_verify_for_an_unknown_client_is_a_clean_error(cli: Cli) -> None:
    write_config(cli)
    message = assert_clean_error(cli("verify", "--client", "nobody", check=False))
    assert "no client 'nobody'" in message
