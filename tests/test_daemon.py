"""The daemon: sweeps on schedule, clean stop, and nothing lost or sent twice across a SIGKILL."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from monitor.demo.server import AlertReceiver
from tests.conftest import Cli, SampleWeb, loopback_config, sample_sources


@pytest.fixture
def watcher(storage_url: str) -> Iterator[Engine]:
    """A connection of the test's own to the daemon's database, to watch its progress."""
    engine = create_engine(storage_url)
    yield engine
    engine.dispose()


def _count(engine: Engine, query: str) -> int:
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(query)).scalar_one())
    except OperationalError:  # SQLite: no schema yet, or the daemon holds the write lock
        return 0


def _wait_for(condition, *, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _prepare(cli: Cli, web: SampleWeb, receiver: AlertReceiver, *, storage_url: str) -> None:
    inputs = cli.cwd.parent / "inputs"
    inputs.mkdir()
    for index, original in enumerate(web.site.originals):
        (inputs / f"p{index}.jpg").write_bytes(original)
    (cli.cwd / "monitor.toml").write_text(
        loopback_config(storage_url=storage_url, sources=sample_sources(web.site, every="1h"))
    )
    cli("client", "add", "k1", "--notify", receiver.apprise_url)
    cli("enroll", "--client", "k1", str(inputs))


def test_sigkill_mid_sweep_loses_nothing_and_alerts_once(
    cli: Cli,
    sample_web: SampleWeb,
    alert_receiver: AlertReceiver,
    storage_url: str,
    watcher: Engine,
) -> None:
    _prepare(cli, sample_web, alert_receiver, storage_url=storage_url)
    sample_web.served.image_delay = 0.15  # the page sweep now takes several seconds
    daemon = cli.popen("run")
    try:
        _wait_for(
            lambda: _count(watcher, "select count(*) from sighting") >= 3,
            timeout=60,
            what="the first sightings",
        )
        recorded_before_kill = _count(watcher, "select count(*) from sighting")
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    planted = {copy.image_url for copy in sample_web.site.planted}
    assert recorded_before_kill < len(planted), "the kill should land mid-sweep"
    assert _count(watcher, "select count(*) from sighting") >= recorded_before_kill

    sample_web.served.image_delay = 0.0
    restarted = cli.popen("run")
    try:
        _wait_for(
            lambda: (
                _count(watcher, "select count(*) from outbox where delivered_at is null") == 0
                and _count(watcher, "select count(*) from sighting") == len(planted)
            ),
            timeout=90,
            what="every sighting recorded and alerted after the restart",
        )
        restarted.send_signal(signal.SIGTERM)
        _out, err = restarted.communicate(timeout=30)
        assert restarted.returncode == 0, err
    finally:
        if restarted.poll() is None:
            restarted.kill()

    sightings = json.loads(cli("sightings", "--json").stdout)
    assert {s["image_url"] for s in sightings} == planted
    assert alert_receiver.messages, "the alerts owed were delivered after the restart"
    for url in planted:
        carrying = [m for m in alert_receiver.messages if url in m["message"]]
        assert len(carrying) <= 1, f"{url} was alerted {len(carrying)} times"
    assert _count(watcher, "select count(*) from outbox") == len(planted)
    assert _count(watcher, "select count(*) from outbox where attempts != 1") == 0


@pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)
def test_sigterm_stops_the_daemon_cleanly(
    cli: Cli,
    sample_web: SampleWeb,
    alert_receiver: AlertReceiver,
    storage_url: str,
    watcher: Engine,
) -> None:
    _prepare(cli, sample_web, alert_receiver, storage_url=storage_url)
    daemon = cli.popen("run")
    try:
        _wait_for(
            lambda: (
                _count(watcher, "select count(*) from sweep where finished_at is not null") >= 2
            ),
            timeout=60,
            what="both sources swept",
        )
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
    assert "Traceback" not in err
    assert len(alert_receiver.messages) >= 1
    assert _count(watcher, "select count(*) from outbox where delivered_at is null") == 0
