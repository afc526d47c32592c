"""`monitor sightings confirm|dismiss|reported|show` as a user runs them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from monitor.fingerprint.hashes import Hash
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.sightings import record_sighting
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli


def _two_sightings(cli: Cli, *, storage_url: str | None = None) -> list[int]:
    write_config(cli, storage_url=storage_url)
    db = database(cli)
    add_client(db, client_id="k1")
    item = enroll_item(
        db, client_id="k1", hashes=[Hash("pdq", "c" * 64)], sha256=None, origin="import"
    ).item_id
    ids = []
    for number in (1, 2):
        url = f"https://x.example/{number}.jpg"
        ids.append(
            record_sighting(
                db,
                observation=Observation(
                    client_id="k1",
                    item_id=item,
                    image_url=url,
                    page_url="https://x.example/t",
                    final_url=url,
                    source="board",
                    seen_at=datetime.now(UTC),
                    distance=0,
                    algorithm="sha256",
                    sha256="d" * 64,
                    http_status=200,
                ),
                takedown_url="https://x.example/report",
            ).sighting.id
        )
    db.dispose()
    return ids


def test_review_through_the_cli_and_show_the_history(cli: Cli, storage_url: str) -> None:
    first, second = _two_sightings(cli, storage_url=storage_url)
    confirmed = json.loads(
        cli("sightings", "confirm", str(first), "--note", "her photo", "--json").stdout
    )
    assert [s["status"] for s in confirmed] == ["confirmed"]
    cli("sightings", "dismiss", str(second), "--note", "someone else")
    cli("sightings", "reported", str(first), "--to", "x.example abuse desk", "--route", "email")

    shown = json.loads(cli("sightings", "show", str(first), "--json").stdout)
    assert shown["status"] == "reported"
    assert [(h["from"], h["to"]) for h in shown["history"]] == [
        ("new", "confirmed"),
        ("confirmed", "reported"),
    ]
    assert shown["history"][0]["note"] == "her photo"
    assert shown["history"][1]["reported_to"] == "x.example abuse desk"
    assert all(h["at"].endswith("Z") for h in shown["history"])

    listed = {s["id"]: s["status"] for s in json.loads(cli("sightings", "--json").stdout)}
    assert listed == {first: "reported", second: "dismissed"}
    human = cli("sightings", "show", str(second)).stdout
    assert "dismissed" in human
    assert "someone else" in human


def test_a_refused_transition_is_one_clear_error(cli: Cli) -> None:
    first, _second = _two_sightings(cli)
    message = assert_clean_error(cli("sightings", "reported", str(first), "--to", "x", check=False))
    assert f"sighting {first} is new" in message
    assert_clean_error(cli("sightings", "show", "999", check=False))
