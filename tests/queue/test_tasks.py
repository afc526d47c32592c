"""The tasks in one process on PostgreSQL: a worker that stops when the queue is empty sweeps
the sample web as `monitor scan` does, and a second period finds nothing new to alert."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from monitor.config import Settings, load_settings
from monitor.demo.server import AlertReceiver
from monitor.fingerprint import fingerprint_enrolled
from monitor.queue.app import build_app
from monitor.queue.deferring import TaskQueue
from monitor.queue.runtime import WorkerRuntime
from monitor.queue.tasks import RUNTIME_KEY
from monitor.service import running_monitor
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.follow_up import list_checks
from monitor.store.review import change_status
from monitor.store.sightings import list_sightings
from tests.conftest import SampleWeb, loopback_config, sample_sources

PERIOD = 1_800_000_000


def _settings(tmp_path: Path, queue_url: str, web: SampleWeb, notify: str) -> Settings:
    text = loopback_config(
        storage_url=queue_url,
        sources=sample_sources(web.site),
        clients=f'[[clients]]\nid = "case-a"\nnotify = ["{notify}"]\n'
        f'[[clients]]\nid = "case-b"\nnotify = ["{notify}"]\n',
    )
    config = tmp_path / "monitor.toml"
    config.write_text(text)
    return load_settings(config)


def _enroll(queue_url: str, web: SampleWeb) -> None:
    db = Database(queue_url)
    try:
        for client in ("case-a", "case-b"):
            add_client(db, client_id=client)
        for index, original in enumerate(web.site.originals):
            enroll_item(
                db,
                client_id="case-a" if index < 2 else "case-b",
                hashes=fingerprint_enrolled(original, max_pixels=50_000_000),
                sha256=None,
                origin="image",
            )
    finally:
        db.dispose()


async def _sweep_all_sources(settings: Settings, *, period: int) -> list[int | None]:
    async with running_monitor(settings) as monitor:
        app = build_app(settings.storage.url, pool_size=4)
        async with app.open_async():
            queue = TaskQueue(app)
            deferred = [
                await queue.defer_poll(source=source.name, period_start=period)
                for source in settings.sources
            ]
            runtime = WorkerRuntime(monitor=monitor, queue=queue)
            # A worker that does not wait stops when it finds no job, even while its running
            # jobs are about to defer more: run it again until the sweep's work is done.
            while _work_waiting(settings.storage.url):
                await app.run_worker_async(
                    wait=False,
                    concurrency=4,
                    listen_notify=False,
                    install_signal_handlers=False,
                    additional_context={RUNTIME_KEY: runtime},
                )
    return deferred


def _work_waiting(queue_url: str) -> bool:
    conninfo = make_url(queue_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as connection:
        row = connection.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
            " AND task_name <> 'monitor.retry_stalled_jobs'"
        ).fetchone()
    return bool(row and row[0])


async def test_tasks_sweep_like_scan_and_alert_once(
    tmp_path: Path, queue_url: str, sample_web: SampleWeb, alert_receiver: AlertReceiver
) -> None:
    settings = _settings(tmp_path, queue_url, sample_web, alert_receiver.apprise_url)
    _enroll(queue_url, sample_web)

    assert None not in await _sweep_all_sources(settings, period=PERIOD)

    db = Database(queue_url)
    try:
        sightings = list_sightings(db)
    finally:
        db.dispose()
    found = sorted((s.client_id, s.image_url) for s in sightings)
    expected = sorted(
        ("case-a" if copy.original < 2 else "case-b", copy.image_url)
        for copy in sample_web.site.planted
    )
    assert found == expected
    alerted = [json.dumps(message) for message in alert_receiver.messages]
    for _client, image_url in expected:
        assert sum(image_url in message for message in alerted) == 1, image_url
    messages = len(alert_receiver.messages)

    # The same period again (a second scheduler, a restart): nothing is deferred.
    assert await _sweep_all_sources(settings, period=PERIOD) == [None, None]
    # The next period sweeps again: same sightings seen again, no new alert.
    assert None not in await _sweep_all_sources(settings, period=PERIOD + 1800)
    db = Database(queue_url)
    try:
        again = list_sightings(db)
    finally:
        db.dispose()
    assert sorted((s.client_id, s.image_url) for s in again) == expected
    # The board is crawled again (the feed yields only entries it has not yielded before).
    assert all(s.times_seen >= 2 for s in again if s.source == "board")
    assert any(s.source == "board" for s in again)
    assert len(alert_receiver.messages) == messages


async def test_workers_run_the_due_rechecks_in_queue_mode(
    tmp_path: Path, queue_url: str, sample_web: SampleWeb, alert_receiver: AlertReceiver
) -> None:
    """`monitor run` on the queue defers the follow-through; a worker re-checks what is due."""
    settings = _settings(tmp_path, queue_url, sample_web, alert_receiver.apprise_url)
    _enroll(queue_url, sample_web)
    await _sweep_all_sources(settings, period=PERIOD)
    db = Database(queue_url)
    try:
        confirmed = list_sightings(db)[0]
        change_status(db, sighting_id=confirmed.id, to_status="confirmed", at=datetime.now(UTC))
    finally:
        db.dispose()

    async with running_monitor(settings) as monitor:
        app = build_app(settings.storage.url, pool_size=2)
        async with app.open_async():
            queue = TaskQueue(app)
            await queue.defer_follow_through()
            await queue.defer_follow_through()  # one waiting run is enough: no second job
            await app.run_worker_async(
                wait=False,
                concurrency=1,
                listen_notify=False,
                install_signal_handlers=False,
                additional_context={RUNTIME_KEY: WorkerRuntime(monitor=monitor, queue=queue)},
            )

    db = Database(queue_url)
    try:
        checks = list_checks(db, sighting_id=confirmed.id)
    finally:
        db.dispose()
    assert [check.outcome for check in checks] == ["present"]
