"""`monitor sources`: each source's health as the operator sees it, and the operator's alerts
when a source keeps failing and when it works again."""

from __future__ import annotations

import json
import re
from typing import Any

from monitor.demo.server import AlertReceiver
from monitor.fingerprint.fingerprinter import fingerprint_enrolled
from monitor.store.clients import add_client, enroll_item
from monitor.store.source_state import DatabaseSourceState
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli, SampleWeb

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
DEAD_FEED_PATH = "/gone/feed.xml"
FIELDS = {
    "name",
    "kind",
    "every",
    "last_run",
    "duration_seconds",
    "last_success",
    "last_error",
    "failing_since",
    "consecutive_failures",
    "candidates",
    "new_candidates",
    "sightings",
    "quota_left",
}


def _configure(cli: Cli, web: SampleWeb, *, operator: str) -> None:
    write_config(
        cli,
        sources=f"""
[[sources]]
name = "board"
kind = "pages"
urls = ["{web.served.base_url}/gallery/img-src.html"]
depth = 0
every = "30m"

[[sources]]
name = "dead-feed"
kind = "feed"
url = "{web.served.base_url}{DEAD_FEED_PATH}"
every = "1h"
""",
        extra=operator,
    )


def _enroll_first_original(cli: Cli, web: SampleWeb) -> None:
    db = database(cli)
    add_client(db, client_id="K-17")
    enroll_item(
        db,
        client_id="K-17",
        hashes=fingerprint_enrolled(web.site.originals[0], max_pixels=80_000_000),
        sha256=None,
        origin="image",
    )
    db.dispose()


def _sources(cli: Cli) -> dict[str, dict[str, Any]]:
    listed = json.loads(cli("sources", "--json").stdout)
    assert isinstance(listed, list)
    return {entry["name"]: entry for entry in listed}


def test_sources_shows_health_and_the_operator_is_alerted_once_per_outage_and_recovery(
    cli: Cli, sample_web: SampleWeb, alert_receiver: AlertReceiver
) -> None:
    operator = f'[operator]\nnotify = ["{alert_receiver.apprise_url}"]\nfailures_before_alert = 3\n'
    _configure(cli, sample_web, operator=operator)
    _enroll_first_original(cli, sample_web)

    before = _sources(cli)
    assert list(before) == ["board", "dead-feed"], "configured order"
    for entry in before.values():
        assert set(entry) >= FIELDS
        assert entry["last_run"] is None
        assert entry["last_success"] is None
        assert entry["candidates"] is None
        assert entry["consecutive_failures"] == 0
        assert entry["sightings"] == 0
    assert before["board"]["kind"] == "pages"
    assert before["board"]["every"] == "30m"
    assert before["dead-feed"]["kind"] == "feed"
    assert before["dead-feed"]["every"] == "1h"

    cli("scan")
    first = _sources(cli)
    assert first["board"]["candidates"] == 1, "a pages source yields its start page"
    assert first["board"]["new_candidates"] == 1, "never looked at before"
    cli("scan")
    assert alert_receiver.messages == [], "two failures are not yet an outage"
    cli("scan")

    after = _sources(cli)
    board, dead = after["board"], after["dead-feed"]
    assert board["last_error"] is None
    assert board["consecutive_failures"] == 0
    assert board["failing_since"] is None
    assert board["candidates"] == 1
    assert board["new_candidates"] == 0, "the start page was seen in the first sweep"
    assert board["last_success"] == board["last_run"]
    assert ISO_UTC.fullmatch(board["last_run"])
    assert board["duration_seconds"] >= 0
    sightings = json.loads(cli("sightings", "--json").stdout)
    assert board["sightings"] == sum(s["source"] == "board" for s in sightings) > 0
    assert board["quota_left"] is None

    assert dead["consecutive_failures"] == 3
    assert dead["last_success"] is None
    assert ISO_UTC.fullmatch(dead["last_run"])
    assert ISO_UTC.fullmatch(dead["failing_since"])
    assert dead["failing_since"] < dead["last_run"] or dead["failing_since"] == dead["last_run"]
    assert DEAD_FEED_PATH in dead["last_error"]
    assert "404" in dead["last_error"]
    assert dead["candidates"] == 0
    assert dead["sightings"] == 0

    assert len(alert_receiver.messages) == 1
    failing = alert_receiver.messages[0]
    assert failing["title"] == f"Monitor: source dead-feed failing since {dead['failing_since']}"
    assert failing["message"].startswith(
        f"Monitor: source dead-feed failing since {dead['failing_since']}: "
    )
    assert DEAD_FEED_PATH in failing["message"]
    assert "://" not in failing["title"], "the lock screen shows no site address"

    human = cli("sources").stdout
    assert "failed 3 sweeps in a row" in human
    assert "404" in human

    cli("scan")
    assert len(alert_receiver.messages) == 1, "one alert per outage, however long it lasts"

    sample_web.served.routes[DEAD_FEED_PATH] = sample_web.served.routes["/alerts/feed.xml"]
    cli("scan")
    assert len(alert_receiver.messages) == 2
    recovered = alert_receiver.messages[1]
    assert recovered["title"] == "Monitor: source dead-feed works again"
    assert dead["failing_since"] in recovered["message"]
    fixed = _sources(cli)["dead-feed"]
    assert fixed["consecutive_failures"] == 0
    assert fixed["last_error"] is None
    assert fixed["failing_since"] is None
    assert fixed["last_success"] == fixed["last_run"]
    assert fixed["candidates"] > 0
    assert fixed["new_candidates"] > 0

    cli("scan")
    assert len(alert_receiver.messages) == 2, "no repeat once it works"
    for message in alert_receiver.messages:
        assert not message.get("attachments")


def test_sources_shows_the_quota_an_api_source_left_in_its_state(
    cli: Cli, sample_web: SampleWeb
) -> None:
    _configure(cli, sample_web, operator="")
    db = database(cli)
    DatabaseSourceState(db).save("dead-feed", {"quota_left": 117, "cursor": "abc"})
    db.dispose()
    listed = _sources(cli)
    assert listed["dead-feed"]["quota_left"] == 117
    assert listed["board"]["quota_left"] is None
    human = cli("sources").stdout
    assert "117" in human
    assert human.count("never run") == 2


def test_sources_without_any_configured_prints_an_empty_list(cli: Cli) -> None:
    write_config(cli)
    assert json.loads(cli("sources", "--json").stdout) == []
    assert "no [[sources]] configured" in cli("sources").stdout


def test_an_operator_url_apprise_cannot_use_is_a_config_error_that_hides_the_url(
    cli: Cli,
) -> None:
    write_config(cli, extra='[operator]\nnotify = ["nosuchscheme://Secret-Token-42"]\n')
    message = assert_clean_error(cli("sources", check=False))
    assert "operator.notify[0]" in message
    assert "Apprise" in message
    assert "Secret-Token-42" not in message
