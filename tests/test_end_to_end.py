"""The monitor as an ally uses it: the CLI in subprocesses, sample web and receivers on loopback."""

from __future__ import annotations

import json
import time
from pathlib import Path

from monitor.demo.server import AlertReceiver
from tests.conftest import Cli, SampleWeb, loopback_config, sample_sources

TAKEDOWN_OVERRIDE = "https://removals.example/report?u={url}"


def _setup(cli: Cli, web: SampleWeb, receivers: list[AlertReceiver]) -> Path:
    """Two clients: case-a enrols originals 0 and 1, case-b original 2."""
    inputs = cli.cwd.parent / "inputs"
    inputs.mkdir()
    for index, original in enumerate(web.site.originals):
        folder = inputs / ("a" if index < 2 else "b")
        folder.mkdir(exist_ok=True)
        (folder / f"photo{index}.jpg").write_bytes(original)
    config = cli.cwd / "monitor.toml"
    config.write_text(
        loopback_config(
            database=cli.cwd / "monitor.db",
            sources=sample_sources(web.site),
            extra=f"""
[[alerts.takedown]]
domains = ["127.0.0.1"]
name = "Sample board moderators"
url = "{TAKEDOWN_OVERRIDE}"
""",
        )
    )
    cli("client", "add", "case-a", "--notify", receivers[0].apprise_url)
    cli("client", "add", "case-b", "--notify", receivers[1].apprise_url)
    enrolled = cli("enroll", "--client", "case-a", str(inputs / "a"), "--json")
    lines = [json.loads(line) for line in enrolled.stdout.splitlines()]
    assert [line["hashes"] > 0 for line in lines] == [True, True]
    cli("enroll", "--client", "case-b", str(inputs / "b"))
    return inputs


def test_scan_finds_every_reupload_alerts_once_and_not_again(
    cli: Cli,
    sample_web: SampleWeb,
    alert_receiver: AlertReceiver,
    second_alert_receiver: AlertReceiver,
) -> None:
    _setup(cli, sample_web, [alert_receiver, second_alert_receiver])
    started = time.monotonic()
    first = json.loads(cli("scan", "--json").stdout)
    first_scan_seconds = time.monotonic() - started

    sightings = json.loads(cli("sightings", "--json").stdout)
    found = {(s["client"], s["image_url"]) for s in sightings}
    expected = {
        ("case-a" if copy.original < 2 else "case-b", copy.image_url)
        for copy in sample_web.site.planted
    }
    missing = {
        (copy.alteration, copy.style)
        for copy in sample_web.site.planted
        if ("case-a" if copy.original < 2 else "case-b", copy.image_url) not in found
    }
    assert not missing, f"re-uploads not found (alteration, style): {sorted(missing)}"
    assert found == expected, f"unexpected sightings: {sorted(found - expected)}"
    assert not {s["image_url"] for s in sightings} & set(sample_web.site.distractors)
    for sighting in sightings:
        assert sighting["takedown_url"].startswith("https://removals.example/report?u=")
        assert sighting["first_seen"].endswith("Z")
        assert len(sighting["sha256"]) == 64
        assert sighting["times_seen"] == 1
        assert sighting["status"] == "new"
    assert sum(sweep["new_sightings"] for sweep in first["sweeps"]) == len(expected)
    assert first["alerts"]["sightings_pending"] == 0

    # Exactly one digest per client, carrying that client's links and no one else's.
    for receiver, client in ((alert_receiver, "case-a"), (second_alert_receiver, "case-b")):
        assert len(receiver.messages) == 1, receiver.messages
        message = receiver.messages[0]
        assert client in message["title"]
        own = [s for s in sightings if s["client"] == client]
        for sighting in own:
            assert sighting["page_url"] in message["message"]
        other = [s for s in sightings if s["client"] != client]
        for sighting in other:
            assert sighting["image_url"] not in message["message"]
        assert "https://removals.example/report?u=" in message["message"]
        assert "attachments" not in message or not message["attachments"]

    started = time.monotonic()
    second = json.loads(cli("scan", "--json").stdout)
    second_scan_seconds = time.monotonic() - started
    assert sum(sweep["new_sightings"] for sweep in second["sweeps"]) == 0
    assert second["alerts"]["messages_sent"] == 0
    assert len(alert_receiver.messages) == 1
    assert len(second_alert_receiver.messages) == 1
    again = json.loads(cli("sightings", "--json").stdout)
    assert {s["times_seen"] for s in again} == {2}
    print(
        f"\nend-to-end: first scan {first_scan_seconds:.2f} s, "
        f"second scan {second_scan_seconds:.2f} s "
        f"({len(expected)} re-uploads, {len(sample_web.site.distractors)} distractors)"
    )


def test_client_listing_is_isolated(
    cli: Cli,
    sample_web: SampleWeb,
    alert_receiver: AlertReceiver,
    second_alert_receiver: AlertReceiver,
) -> None:
    _setup(cli, sample_web, [alert_receiver, second_alert_receiver])
    cli("scan")
    only_b = json.loads(cli("sightings", "--client", "case-b", "--json").stdout)
    assert only_b
    assert {s["client"] for s in only_b} == {"case-b"}
    originals_of_b = {c.image_url for c in sample_web.site.planted if c.original == 2}
    assert {s["image_url"] for s in only_b} == originals_of_b
