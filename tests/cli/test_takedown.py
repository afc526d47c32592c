"""`monitor takedown` as a user runs it: the request printed, recorded, and templates edited."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import col, select

from monitor.fingerprint.hashes import Hash
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.sightings import record_sighting
from monitor.store.tables import EvidenceEntryRow
from monitor.store.takedowns import takedowns_for
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli

CLIENTS = """
[[clients]]
id = "k1"

[clients.requester.dmca]
name = "Jane Q. Example"
email = "jane@mail.example"
"""


def _sighting(cli: Cli, *, page_url: str = "https://board.example/t/9") -> int:
    db = database(cli)
    add_client(db, client_id="k1")
    item = enroll_item(
        db, client_id="k1", hashes=[Hash("pdq", "c" * 64)], sha256=None, origin="import"
    ).item_id
    sighting_id = record_sighting(
        db,
        observation=Observation(
            client_id="k1",
            item_id=item,
            image_url="https://img.board.example/a.jpg",
            page_url=page_url,
            final_url="https://img.board.example/a.jpg",
            source="board",
            seen_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
            distance=2,
            algorithm="pdq",
            sha256="e" * 64,
            http_status=200,
        ),
        takedown_url="mailto:abuse@board.example",
    ).sighting.id
    db.dispose()
    return sighting_id


def test_the_default_request_is_printed_and_recorded(cli: Cli) -> None:
    write_config(cli, clients=CLIENTS)
    sighting_id = _sighting(cli)

    result = cli("takedown", str(sighting_id))

    assert "Email to: abuse@board.example" in result.stdout
    assert "Subject: Removal request" in result.stdout
    assert "https://board.example/t/9" in result.stdout
    assert "[your full name]" in result.stdout  # details were given for dmca only
    assert "Jane" not in result.stdout
    assert f"monitor sightings reported {sighting_id}" in result.stderr
    db = database(cli)
    [prepared] = takedowns_for(db, sighting_id)
    db.dispose()
    assert prepared.route == "email"
    assert prepared.recipient == "abuse@board.example"


def test_dmca_warns_and_uses_the_details_configured_for_it(cli: Cli) -> None:
    write_config(cli, clients=CLIENTS)
    sighting_id = _sighting(cli)

    result = cli("takedown", str(sighting_id), "--route", "dmca")
    assert result.stderr.startswith("warning: A DMCA notice")
    assert "Jane Q. Example" in result.stdout

    as_json = json.loads(cli("takedown", str(sighting_id), "--route", "dmca", "--json").stdout)
    assert as_json["route"] == "dmca"
    assert as_json["warning"].startswith("A DMCA notice")
    assert len(as_json["body_sha256"]) == 64
    db = database(cli)
    assert [t.route for t in takedowns_for(db, sighting_id)] == ["dmca", "dmca"]
    db.dispose()


def test_routes_are_listed_with_the_default_marked(cli: Cli) -> None:
    write_config(cli)
    sighting_id = _sighting(cli, page_url="https://www.reddit.com/r/x/comments/1")
    routes = json.loads(cli("takedown", str(sighting_id), "--list-routes", "--json").stdout)
    assert [r["route"] for r in routes if r["default"]] == ["platform"]
    assert {r["route"] for r in routes} >= {"platform", "email", "dmca", "japan"}


def test_templates_are_copied_edited_and_used(cli: Cli) -> None:
    sighting_id = _sighting_with_config(cli, extra='[takedown]\ntemplates = "mine"\n')
    cli("takedown", "--write-templates", str(cli.cwd / "mine"))
    assert (cli.cwd / "mine" / "README.md").is_file()
    (cli.cwd / "mine" / "email.txt").write_text(
        "Subject: Take it down\n\nPlease remove {{ page_url }} today.\n", encoding="utf-8"
    )

    result = cli("takedown", str(sighting_id))
    assert "Subject: Take it down" in result.stdout
    assert "Please remove https://board.example/t/9 today." in result.stdout

    again = assert_clean_error(
        cli("takedown", "--write-templates", str(cli.cwd / "mine"), check=False)
    )
    assert "exists" in again


def _sighting_with_config(cli: Cli, *, extra: str) -> int:
    write_config(cli, extra=extra)
    return _sighting(cli)


def test_bad_input_is_one_clear_error(cli: Cli) -> None:
    write_config(cli)
    assert "no sighting 42" in assert_clean_error(cli("takedown", "42", check=False))
    assert "give a sighting ID" in assert_clean_error(cli("takedown", check=False))
    write_config(cli, clients='[[clients]]\nid = "k1"\n[clients.requester.fax]\nname = "x"\n')
    message = assert_clean_error(cli("takedown", "1", check=False))
    assert "requester.fax" in message
    assert "platform" in message


def test_a_prepared_request_is_an_entry_in_the_evidence_log(cli: Cli) -> None:
    write_config(cli)
    sighting_id = _sighting(cli)
    cli("takedown", str(sighting_id), "--route", "google-delisting")
    db = database(cli)
    with db.session() as session:
        entries = session.exec(
            select(EvidenceEntryRow).where(col(EvidenceEntryRow.kind) == "takedown")
        ).all()
    db.dispose()
    [entry] = entries
    assert entry.sighting_id == sighting_id
    content = json.loads(entry.content)["data"]
    assert content["route"] == "google-delisting"
    assert content["recipient"].startswith("https://support.google.com/")
    assert len(content["body_sha256"]) == 64
