"""The monitor as an ally uses it: the CLI in subprocesses, sample web and receivers on loopback."""

from __future__ import annotations

import json
import time
from pathlib import Path

from monitor.demo.server import AlertReceiver
from monitor.demo.site import Route
from tests.conftest import Cli, SampleWeb, loopback_config, sample_sources

TAKEDOWN_OVERRIDE = "https://removals.example/report?u={url}"


def _setup(
    cli: Cli,
    web: SampleWeb,
    receivers: list[AlertReceiver],
    *,
    storage_url: str,
    sources: str | None = None,
) -> Path:
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
            storage_url=storage_url,
            sources=sample_sources(web.site) if sources is None else sources,
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
    storage_url: str,
) -> None:
    _setup(cli, sample_web, [alert_receiver, second_alert_receiver], storage_url=storage_url)
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


def _show_images(web: SampleWeb, path: str, images: list[str]) -> str:
    """Serve a page at `path` that shows `images`; its URL."""
    body = "".join(f'<img src="{url}">' for url in images)
    web.served.routes[path] = Route("text/html", f"<html><body>{body}</body></html>".encode())
    return f"{web.site.base_url}{path}"


def test_a_clients_own_source_is_matched_for_that_client_only(
    cli: Cli,
    sample_web: SampleWeb,
    alert_receiver: AlertReceiver,
    second_alert_receiver: AlertReceiver,
    storage_url: str,
) -> None:
    """case-b's own source (say, their own Google Alerts feed) turns up a re-upload of case-a's
    image: nobody gets a sighting of it. A shared page is matched for both clients."""
    copies_of_a = [copy.image_url for copy in sample_web.site.planted if copy.original == 0]
    copies_of_b = [copy.image_url for copy in sample_web.site.planted if copy.original == 2]
    own_page = _show_images(sample_web, "/b-own/", [copies_of_a[0], copies_of_b[0]])
    shared_page = _show_images(sample_web, "/shared/", [copies_of_a[1], copies_of_b[1]])
    sources = f"""
[[sources]]
name = "b-alerts"
kind = "pages"
urls = ["{own_page}"]
depth = 0
clients = ["case-b"]

[[sources]]
name = "forum"
kind = "pages"
urls = ["{shared_page}"]
depth = 0
"""
    _setup(
        cli,
        sample_web,
        [alert_receiver, second_alert_receiver],
        storage_url=storage_url,
        sources=sources,
    )

    scan = json.loads(cli("scan", "--json").stdout)

    new_per_source = {sweep["source"]: sweep["new_sightings"] for sweep in scan["sweeps"]}
    assert new_per_source == {"b-alerts": 1, "forum": 2}
    found = {
        (s["client"], s["image_url"], s["source"])
        for s in json.loads(cli("sightings", "--json").stdout)
    }
    assert found == {
        ("case-b", copies_of_b[0], "b-alerts"),
        ("case-a", copies_of_a[1], "forum"),
        ("case-b", copies_of_b[1], "forum"),
    }
    listed_for_b = json.loads(cli("sightings", "--client", "case-b", "--json").stdout)
    assert {s["image_url"] for s in listed_for_b} == {copies_of_b[0], copies_of_b[1]}
    assert {s["client"] for s in listed_for_b} == {"case-b"}
    counted_for_b = json.loads(cli("stats", "--client", "case-b", "--json").stdout)
    assert counted_for_b["total"]["found"] == 2
    # One digest per client, and neither mentions the copy case-b's own source found of case-a.
    assert [len(alert_receiver.messages), len(second_alert_receiver.messages)] == [1, 1]
    assert copies_of_a[0] not in alert_receiver.messages[0]["message"]
    assert copies_of_a[1] in alert_receiver.messages[0]["message"]
    for copy_of_a in copies_of_a:
        assert copy_of_a not in second_alert_receiver.messages[0]["message"]
