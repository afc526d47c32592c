"""Operator alerts for failing sources through real Apprise to loopback receivers: one alert per
outage and one per recovery, retried where they failed, surviving restarts."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.operator import OperatorSettings
from monitor.alerts.outages import OutageAlerts
from monitor.store import Database, open_database
from monitor.store.crawl import finish_sweep, start_sweep
from monitor.store.health import get_outage
from monitor.store.records import SweepSummary
from tests.alerts.conftest import HttpReceiver

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SOURCE = "jane-alerts"
DEAD = "feed https://feeds.example/x.xml: HTTP status 404"


@dataclass
class Setup:
    db: Database
    now: datetime = T0
    urls: list[str] = field(default_factory=list)
    threshold: int = 3

    def alerts(self) -> OutageAlerts:
        """A fresh instance each time, as after a restart: all state is in the database."""
        return OutageAlerts(
            db=self.db,
            settings=OperatorSettings(notify=self.urls, failures_before_alert=self.threshold),
            notifier=AppriseNotifier(timeout=5),
            clock=lambda: self.now,
        )

    async def sweep(self, *, error: str | None = None) -> None:
        """Record one finished sweep of SOURCE, then let the operator alerts look at it."""
        started = self.now
        sweep_id = start_sweep(self.db, source=SOURCE, at=started)
        self.now += timedelta(minutes=30)
        finish_sweep(
            self.db,
            sweep_id=sweep_id,
            summary=SweepSummary(
                source=SOURCE,
                started_at=started,
                finished_at=started + timedelta(seconds=3),
                candidates=0 if error else 5,
                pages=0,
                images=0,
                new_sightings=0,
                failures=0,
                error=error,
            ),
        )
        await self.alerts().after_sweep(SOURCE)


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    yield Setup(db=db)
    db.dispose()


def _titles(receiver: HttpReceiver) -> list[str]:
    return [post.json()["title"] for post in receiver.posts]


FAILING = f"Monitor: source {SOURCE} failing since 2026-05-01T12:30:00Z"  # after one success
FAILING_FROM_START = f"Monitor: source {SOURCE} failing since 2026-05-01T12:00:00Z"
RECOVERED = f"Monitor: source {SOURCE} works again"


async def test_one_alert_when_failures_reach_the_threshold_and_one_when_it_recovers(
    setup: Setup, http_receiver: HttpReceiver
) -> None:
    setup.urls = [http_receiver.apprise_url()]
    await setup.sweep()
    await setup.sweep(error="timed out")
    await setup.sweep(error="timed out")
    assert http_receiver.posts == []
    await setup.sweep(error=DEAD)
    assert _titles(http_receiver) == [FAILING]
    body = http_receiver.posts[0].json()["message"]
    assert body.startswith(f"{FAILING}: {DEAD}"), "the error as of the alert"

    for _ in range(4):
        await setup.sweep(error=DEAD)
    assert len(http_receiver.posts) == 1, "never twice for one outage"

    await setup.sweep()
    assert _titles(http_receiver) == [FAILING, RECOVERED]
    assert "its sweep at 2026-05-01T16:00:00Z succeeded" in http_receiver.posts[1].json()["message"]
    assert get_outage(setup.db, SOURCE) is None
    await setup.sweep()
    await setup.sweep(error=DEAD)
    assert len(http_receiver.posts) == 2, "one failure after recovery is not an outage"


async def test_a_second_outage_gets_its_own_alerts(
    setup: Setup, http_receiver: HttpReceiver
) -> None:
    setup.urls = [http_receiver.apprise_url()]
    setup.threshold = 1
    await setup.sweep(error=DEAD)
    await setup.sweep()
    await setup.sweep(error="revoked key")
    await setup.sweep()
    titles = _titles(http_receiver)
    assert titles == [
        f"Monitor: source {SOURCE} failing since 2026-05-01T12:00:00Z",
        RECOVERED,
        f"Monitor: source {SOURCE} failing since 2026-05-01T13:00:00Z",
        RECOVERED,
    ]
    assert "revoked key" in http_receiver.posts[2].json()["message"]


async def test_an_undelivered_alert_is_sent_after_the_next_sweep_only_where_it_failed(
    setup: Setup, http_receiver: HttpReceiver, failing_receiver: HttpReceiver
) -> None:
    setup.urls = [http_receiver.apprise_url("ok"), failing_receiver.apprise_url("down")]
    for _ in range(3):
        await setup.sweep(error=DEAD)
    assert len(http_receiver.posts) == 1
    assert len(failing_receiver.posts) == 1  # tried, answered 500
    await setup.sweep(error=DEAD)
    assert len(http_receiver.posts) == 1, "the URL that took it is not sent it again"
    assert len(failing_receiver.posts) == 2

    failing_receiver.status = 200
    await setup.sweep(error=DEAD)
    assert len(failing_receiver.posts) == 3
    await setup.sweep(error=DEAD)
    assert len(failing_receiver.posts) == 3, "delivered now: not again"
    assert {post.json()["title"] for post in failing_receiver.posts} == {FAILING_FROM_START}

    await setup.sweep()
    assert _titles(http_receiver) == [FAILING_FROM_START, RECOVERED]
    assert _titles(failing_receiver)[-1] == RECOVERED


async def test_a_recovery_is_announced_even_when_the_failure_alert_never_got_through(
    setup: Setup, failing_receiver: HttpReceiver
) -> None:
    setup.urls = [failing_receiver.apprise_url()]
    for _ in range(3):
        await setup.sweep(error=DEAD)
    failing_receiver.status = 200
    await setup.sweep()
    assert _titles(failing_receiver) == [FAILING_FROM_START, RECOVERED]
    assert "failing since 2026-05-01T12:00:00Z" in failing_receiver.posts[-1].json()["message"]


async def test_an_owed_recovery_goes_out_before_a_new_outage(
    setup: Setup, failing_receiver: HttpReceiver
) -> None:
    setup.urls = [failing_receiver.apprise_url()]
    setup.threshold = 2
    failing_receiver.status = 200
    await setup.sweep(error=DEAD)
    await setup.sweep(error=DEAD)
    failing_receiver.status = 500
    await setup.sweep()  # recovery not delivered
    await setup.sweep(error="revoked key")
    failing_receiver.status = 200
    await setup.sweep(error="revoked key")  # recovery, then the new outage (2 in a row)
    assert _titles(failing_receiver)[-2:] == [
        RECOVERED,
        f"Monitor: source {SOURCE} failing since 2026-05-01T13:30:00Z",
    ]
    delivered = [p.json()["title"] for p in failing_receiver.posts]
    assert delivered.count(RECOVERED) == 3, "two failed attempts, then delivered once"


async def test_without_an_operator_url_each_change_is_logged_once(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="monitor.alerts.outages")
    for _ in range(5):
        await setup.sweep(error=DEAD)
    await setup.sweep()
    await setup.sweep()
    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 2
    assert warnings[0].startswith(f"{FAILING_FROM_START}: {DEAD}")
    assert "no [operator] notify URL" in warnings[0]
    assert warnings[1].startswith(f"Monitor: source {SOURCE} works again")


async def test_a_broken_store_is_logged_and_never_breaks_the_sweep(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    with setup.db.session() as session:
        session.execute(text("DROP TABLE source_outage"))
    await setup.sweep(error=DEAD)  # does not raise
    assert any("operator alert" in record.getMessage() for record in caplog.records)
