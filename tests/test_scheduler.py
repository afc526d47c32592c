"""The daemon in-process: sweeps at start, never two sweeps of one source at once, sources run
independently, and stop() returns promptly with the owed alerts delivered."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from monitor.config import Settings
from monitor.demo.server import AlertReceiver
from monitor.fingerprint import fingerprint_enrolled
from monitor.scheduler import Daemon
from monitor.service import Monitor, running_monitor
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.outbox import count_undelivered
from monitor.store.sightings import list_sightings
from monitor.store.tables import SweepRow
from tests.conftest import SampleWeb

IMAGE_DELAY = 0.3  # seconds per image: a sweep of the sample board outlasts its 1 s interval


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _settings(storage_url: str, web: SampleWeb, receiver: AlertReceiver) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": storage_url},
            "fetch": {
                "allow_private_addresses": True,
                "per_host_delay": 0,
                "per_host_concurrency": 8,
                "total_timeout": 5.0,
                "connect_timeout": 2.0,
            },
            "scan": {"jitter": "0.5s"},  # under a second: no jitter
            "sources": [
                {
                    "name": "board",
                    "kind": "pages",
                    "urls": [web.site.pages_root],
                    "depth": 1,
                    "every": "1s",
                },
                {
                    "name": "gone",
                    "kind": "pages",
                    "urls": [f"http://127.0.0.1:{_closed_port()}/"],
                    "every": "1s",
                },
            ],
            "clients": [{"id": "k1", "notify": [receiver.apprise_url]}],
        }
    )


def _enroll(db: Database, web: SampleWeb) -> None:
    add_client(db, client_id="k1")
    for original in web.site.originals:
        enroll_item(
            db,
            client_id="k1",
            hashes=fingerprint_enrolled(original, max_pixels=10**8),
            sha256=hashlib.sha256(original).hexdigest(),
            origin="image",
        )


def _sweeps(db: Database, source: str) -> list[SweepRow]:
    with db.session() as session:
        return list(
            session.exec(
                select(SweepRow)
                .where(SweepRow.source == source)
                .order_by(col(SweepRow.started_at), col(SweepRow.id))
            ).all()
        )


async def _wait_for(condition: Callable[[], bool], *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _assert_no_overlap(sweeps: list[SweepRow]) -> None:
    for earlier, later in itertools.pairwise(sweeps):
        assert earlier.finished_at is not None, (
            f"sweep {later.id} started while sweep {earlier.id} of {earlier.source} never finished"
        )
        assert earlier.finished_at <= later.started_at, (
            f"sweeps {earlier.id} and {later.id} of {earlier.source} overlapped"
        )


async def test_daemon_sweeps_on_schedule_one_at_a_time_and_stops_promptly(
    storage_url: str, sample_web: SampleWeb, alert_receiver: AlertReceiver
) -> None:
    sample_web.served.image_delay = IMAGE_DELAY
    settings = _settings(storage_url, sample_web, alert_receiver)

    async with running_monitor(settings) as monitor:
        db = monitor.db
        _enroll(db, sample_web)
        daemon = Daemon(monitor)
        started = datetime.now(UTC)
        running = asyncio.create_task(daemon.run())
        try:
            await _wait_for(
                lambda: len(_sweeps(db, "board")) >= 1, within=5, what="the first sweep"
            )
            first = _sweeps(db, "board")[0]
            assert first.started_at - started < timedelta(seconds=2), "it sweeps at start"

            # Two whole sweeps of the slow source, and the third one under way.
            await _wait_for(
                lambda: (
                    sum(s.finished_at is not None for s in _sweeps(db, "board")) >= 2
                    and _sweeps(db, "board")[-1].finished_at is None
                ),
                within=30,
                what="a third sweep of the board",
            )
        finally:
            daemon.stop()
            asked_to_stop = time.monotonic()
            await asyncio.wait_for(running, timeout=30)
        stop_took = time.monotonic() - asked_to_stop

        board = _sweeps(db, "board")
        gone = _sweeps(db, "gone")
        assert stop_took < 5, f"stop() took {stop_took:.1f} s with a sweep under way"
        _assert_no_overlap(board)
        _assert_no_overlap(gone)
        slowest = max(s.finished_at - s.started_at for s in board if s.finished_at is not None)
        assert slowest > timedelta(seconds=1), "a sweep should outlast its interval here"

        # The failing source is swept on its own schedule, also while the board is being swept.
        assert len(gone) > len(board)
        assert all(s.error is None and s.failures == 1 for s in gone if s.finished_at)
        during_board = [
            g
            for g in gone
            for b in board
            if b.started_at < g.started_at
            and (b.finished_at is None or g.started_at < b.finished_at)
        ]
        assert during_board, "one slow source must not hold up another"

        # Everything recorded before the stop was alerted, each sighting in one message only.
        sightings = list_sightings(db)
        assert sightings, "the finished sweeps found the planted copies"
        assert count_undelivered(db) == 0
        assert alert_receiver.messages
        for sighting in sightings:
            carrying = [m for m in alert_receiver.messages if sighting.image_url in m["message"]]
            assert len(carrying) == 1, f"{sighting.image_url} was alerted {len(carrying)} times"


async def _run_until_first_sighting(monitor: Monitor) -> float:
    """Start the daemon, stop it as soon as something is recorded; seconds the stop took."""
    daemon = Daemon(monitor)
    running = asyncio.create_task(daemon.run())
    try:
        await _wait_for(lambda: len(list_sightings(monitor.db)) >= 1, within=15, what="a sighting")
    finally:
        daemon.stop()
        asked_to_stop = time.monotonic()
        await asyncio.wait_for(running, timeout=30)
    return time.monotonic() - asked_to_stop


# Stopping is the scheduler's own behaviour; the database under it is proven by the test above.
@pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)
async def test_stop_before_the_first_sweep_finishes_still_delivers_what_was_found(
    storage_url: str, sample_web: SampleWeb, alert_receiver: AlertReceiver
) -> None:
    sample_web.served.image_delay = IMAGE_DELAY
    settings = _settings(storage_url, sample_web, alert_receiver)

    async with running_monitor(settings) as monitor:
        db = monitor.db
        _enroll(db, sample_web)

        stop_took = await _run_until_first_sighting(monitor)

        assert stop_took < 5
        [cut_short] = _sweeps(db, "board")
        assert cut_short.finished_at is None, "the sweep was cancelled, not run to its end"
        planted = {copy.image_url for copy in sample_web.site.planted}
        recorded = {sighting.image_url for sighting in list_sightings(db)}
        assert recorded < planted, "the stop should land mid-sweep"
        assert count_undelivered(db) == 0
        delivered_text = " ".join(message["message"] for message in alert_receiver.messages)
        for url in recorded:
            assert delivered_text.count(url) == 1


@pytest.mark.parametrize("storage_url", ["sqlite"], indirect=True)
async def test_a_stop_mid_sweep_logs_no_error(
    storage_url: str,
    sample_web: SampleWeb,
    alert_receiver: AlertReceiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sample_web.served.image_delay = IMAGE_DELAY
    settings = _settings(storage_url, sample_web, alert_receiver)

    async with running_monitor(settings) as monitor:
        _enroll(monitor.db, sample_web)
        with caplog.at_level(logging.INFO):
            await _run_until_first_sighting(monitor)

    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
