"""`monitor recheck` and `monitor stats` as a user runs them, against the loopback sample web."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.demo.server import AlertReceiver
from monitor.fingerprint import fingerprint_enrolled
from monitor.store import open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import record_sighting
from tests.conftest import Cli, SampleWeb, loopback_config


def _reported_sighting(database: Path, web: SampleWeb) -> tuple[str, str]:
    planted = next(
        found
        for found in web.site.planted
        if found.original == 0 and found.style == "img-src" and found.alteration != "identical"
    )
    original = web.site.originals[0]
    earlier = datetime.now(UTC) - timedelta(hours=1)
    db = open_database(f"sqlite:///{database}")
    try:
        add_client(db, client_id="K-17")
        item_id = enroll_item(
            db,
            client_id="K-17",
            hashes=fingerprint_enrolled(original, max_pixels=80_000_000),
            sha256=hashlib.sha256(original).hexdigest(),
            origin="image",
        ).item_id
        sighting = record_sighting(
            db,
            observation=Observation(
                client_id="K-17",
                item_id=item_id,
                image_url=planted.image_url,
                page_url=planted.page_url,
                final_url=planted.image_url,
                source="board",
                seen_at=earlier,
                distance=3,
                algorithm="pdq",
                sha256="a" * 64,
                http_status=200,
            ),
            takedown_url="https://forum.example/report",
        ).sighting
        change_status(db, sighting_id=sighting.id, to_status="confirmed", at=earlier)
        change_status(
            db, sighting_id=sighting.id, to_status="reported", at=earlier, reported_to="form"
        )
    finally:
        db.dispose()
    return planted.image_url, planted.page_url


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    """The command in this process (a subprocess per step would be slow), its JSON output."""
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_recheck_verifies_a_removal_alerts_it_and_stats_count_it(
    cli: Cli,
    sample_web: SampleWeb,
    alert_receiver: AlertReceiver,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = cli.cwd / "monitor.db"
    config = cli.cwd / "monitor.toml"
    config.write_text(
        loopback_config(
            database=database,
            sources="",
            extra='[follow_up]\nevery = "1s"\n',
            clients=f'[[clients]]\nid = "K-17"\nnotify = ["{alert_receiver.apprise_url}"]\n',
        )
    )
    image_url, page_url = _reported_sighting(database, sample_web)

    first = run_json(capsys, "recheck", "--config", str(config))
    assert (first["checked"], first["present"]) == (1, 1)

    base = sample_web.served.base_url
    for url in (image_url, page_url):
        del sample_web.served.routes[url.removeprefix(base)]
    time.sleep(1.1)
    second = run_json(capsys, "recheck", "--config", str(config))
    assert (second["absent"], second["removed"]) == (1, [])
    time.sleep(1.1)
    third = run_json(capsys, "recheck", "--config", str(config))
    assert third["removed"] == [1]
    assert [message["title"] for message in alert_receiver.messages] == [
        "Monitor: 1 match removed for case K-17"
    ]

    shown = run_json(capsys, "sightings", "show", "1", "--config", str(config))
    assert [check["outcome"] for check in shown["checks"]] == ["present", "absent", "absent"]
    assert shown["history"][-1]["note"] == "verified removed: 2 checks, 404 then 404"
    stats = run_json(capsys, "stats", "--config", str(config))
    (site,) = stats["sites"]
    assert (site["site"], site["found"], site["reported"], site["removed"]) == (
        "127.0.0.1",
        1,
        1,
        1,
    )
    assert site["removal_rate"] == 1.0
    assert 2 <= site["median_report_to_removal_seconds"] < 3600 + 120
    table = cli("stats", "--config", str(config), "--client", "K-17").stdout
    assert "127.0.0.1" in table
    assert "100%" in table


def test_stats_for_an_unknown_client_says_how_to_fix_it(cli: Cli) -> None:
    config = cli.cwd / "monitor.toml"
    config.write_text(loopback_config(database=cli.cwd / "m.db", sources=""))
    result = cli("stats", "--config", str(config), "--client", "nobody", check=False)
    assert result.code == 2
    assert "monitor client list" in result.stderr
