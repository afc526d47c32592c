"""Outbox delivery through real Apprise to real loopback receivers: one digest per client, each
target served once, retries only where it failed, with growing waits."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.delivery import AlertDelivery, DeliveryReport, target_id
from monitor.alerts.render import DISCREET_WORDS
from monitor.demo.server import AlertReceiver
from monitor.fingerprint.hashes import Hash
from monitor.store import Database, open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.outbox import count_undelivered
from monitor.store.records import Observation
from monitor.store.sightings import record_sighting
from monitor.store.tables import OutboxRow

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(minutes=10)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Setup:
    db: Database
    clock: Clock
    config_urls: dict[str, list[str]] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)

    def delivery(self) -> AlertDelivery:
        return AlertDelivery(
            db=self.db,
            notifier=AppriseNotifier(timeout=5),
            config_urls=lambda client_id: self.config_urls.get(client_id, []),
            retry_first=RETRY_FIRST,
            retry_max=RETRY_MAX,
            clock=self.clock,
        )

    def client(self, client_id: str, *, stored_urls: Sequence[str] = ()) -> None:
        add_client(self.db, client_id=client_id, notify_urls=stored_urls)
        self.items[client_id] = enroll_item(
            self.db,
            client_id=client_id,
            hashes=[Hash(algorithm="pdq", hex="1" * 64)],
            sha256=None,
            origin="import",
        ).item_id

    def sight(self, client_id: str, image_url: str) -> None:
        record_sighting(
            self.db,
            observation=Observation(
                client_id=client_id,
                item_id=self.items[client_id],
                image_url=image_url,
                page_url=f"https://forum.example/thread/{client_id}",
                final_url=image_url,
                source="board",
                seen_at=self.clock.now,
                distance=2,
                algorithm="pdq",
                sha256="a" * 64,
                http_status=200,
            ),
            takedown_url="https://forum.example/report",
        )

    def outbox(self) -> list[OutboxRow]:
        with self.db.session() as session:
            return list(session.exec(select(OutboxRow).order_by(col(OutboxRow.id))).all())


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    yield Setup(db=db, clock=Clock())
    db.dispose()


@contextmanager
def receiver_on_port(port: int) -> Iterator[AlertReceiver]:
    """An alert receiver on a given port, so a URL that failed can start working."""
    receiver = AlertReceiver(port=port)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            receiver.messages.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def _closed_port_url(port: int) -> str:
    return f"json://127.0.0.1:{port}/alerts"


async def test_several_sightings_of_one_client_make_one_digest(
    setup: Setup, alert_receiver: AlertReceiver
) -> None:
    setup.client("k1", stored_urls=[alert_receiver.apprise_url])
    urls = [f"https://forum.example/media/{n}.jpg" for n in range(3)]
    for url in urls:
        setup.sight("k1", url)

    report = await setup.delivery().deliver_due()

    assert report == DeliveryReport(messages_sent=1, sightings_delivered=3, sightings_pending=0)
    [message] = alert_receiver.messages
    assert message["title"] == "Monitor: 3 new matches for case k1"
    for url in urls:
        assert url in message["message"]
    assert "https://forum.example/report" in message["message"]
    assert "http" not in message["title"], "a lock screen shows the title: no addresses in it"
    for word in DISCREET_WORDS:
        assert word not in message["title"].lower()
    assert count_undelivered(setup.db) == 0


async def test_delivered_alerts_are_not_sent_again(
    setup: Setup, alert_receiver: AlertReceiver
) -> None:
    setup.client("k1", stored_urls=[alert_receiver.apprise_url])
    setup.sight("k1", "https://forum.example/media/1.jpg")
    delivery = setup.delivery()
    await delivery.deliver_due()

    setup.clock.advance(timedelta(days=1))
    setup.sight("k1", "https://forum.example/media/1.jpg")  # seen again: no new alert owed
    report = await delivery.deliver_due()

    assert report == DeliveryReport(messages_sent=0, sightings_delivered=0, sightings_pending=0)
    assert len(alert_receiver.messages) == 1


async def test_each_client_gets_only_their_own_digest(
    setup: Setup, alert_receiver: AlertReceiver, second_alert_receiver: AlertReceiver
) -> None:
    setup.client("case-a", stored_urls=[alert_receiver.apprise_url])
    setup.client("case-b")
    setup.config_urls["case-b"] = [second_alert_receiver.apprise_url]
    a_urls = [f"https://one.example/a{n}.jpg" for n in range(2)]
    b_urls = [f"https://two.example/b{n}.jpg" for n in range(3)]
    for url in a_urls:
        setup.sight("case-a", url)
    for url in b_urls:
        setup.sight("case-b", url)

    report = await setup.delivery().deliver_due()

    assert report == DeliveryReport(messages_sent=2, sightings_delivered=5, sightings_pending=0)
    [to_a] = alert_receiver.messages
    [to_b] = second_alert_receiver.messages
    assert "case-a" in to_a["title"]
    assert "case-b" in to_b["title"]
    assert all(url in to_a["message"] for url in a_urls)
    assert all(url in to_b["message"] for url in b_urls)
    a_text = json.dumps(to_a)
    b_text = json.dumps(to_b)
    assert not any(url in a_text for url in b_urls)
    assert not any(url in b_text for url in a_urls)
    assert "case-b" not in a_text
    assert "case-a" not in b_text
    assert "one.example" not in b_text
    assert "two.example" not in a_text


async def test_stored_and_configured_urls_both_receive_once(
    setup: Setup, alert_receiver: AlertReceiver, second_alert_receiver: AlertReceiver
) -> None:
    setup.client("k1", stored_urls=[alert_receiver.apprise_url])
    # The config repeats the stored URL: it is still one target.
    setup.config_urls["k1"] = [second_alert_receiver.apprise_url, alert_receiver.apprise_url]
    setup.sight("k1", "https://forum.example/media/1.jpg")

    await setup.delivery().deliver_due()

    assert len(alert_receiver.messages) == 1
    assert len(second_alert_receiver.messages) == 1
    [row] = setup.outbox()
    assert sorted(row.delivered_targets or []) == sorted(
        {target_id(alert_receiver.apprise_url), target_id(second_alert_receiver.apprise_url)}
    )


async def test_a_failed_target_is_retried_alone_until_it_works(
    setup: Setup, alert_receiver: AlertReceiver, unreachable_port: int
) -> None:
    late_url = _closed_port_url(unreachable_port)
    setup.client("k1", stored_urls=[alert_receiver.apprise_url, late_url])
    urls = ["https://forum.example/media/1.jpg", "https://forum.example/media/2.jpg"]
    for url in urls:
        setup.sight("k1", url)
    delivery = setup.delivery()

    first = await delivery.deliver_due()

    assert first == DeliveryReport(messages_sent=1, sightings_delivered=0, sightings_pending=2)
    assert len(alert_receiver.messages) == 1
    rows = setup.outbox()
    assert {tuple(row.delivered_targets or ()) for row in rows} == {
        (target_id(alert_receiver.apprise_url),)
    }
    for row in rows:
        assert row.last_error is not None
        assert f"127.0.0.1:{unreachable_port}" in row.last_error
        assert row.next_attempt_at == T0 + RETRY_FIRST

    # Before the retry time nothing is attempted, not even to the failed target.
    setup.clock.advance(RETRY_FIRST - timedelta(seconds=1))
    assert await delivery.deliver_due() == DeliveryReport(0, 0, 0)

    # Still down at the retry: the good receiver is not asked again.
    setup.clock.advance(timedelta(seconds=1))
    assert await delivery.deliver_due() == DeliveryReport(0, 0, 2)
    assert len(alert_receiver.messages) == 1

    with receiver_on_port(unreachable_port) as late_receiver:
        setup.clock.advance(RETRY_FIRST * 2)
        third = await delivery.deliver_due()

        assert third == DeliveryReport(messages_sent=1, sightings_delivered=2, sightings_pending=0)
        [late_message] = late_receiver.messages
        assert all(url in late_message["message"] for url in urls)

        setup.clock.advance(timedelta(days=1))
        assert await delivery.deliver_due() == DeliveryReport(0, 0, 0)
        assert len(late_receiver.messages) == 1

    assert len(alert_receiver.messages) == 1, "never twice to the same target"
    assert count_undelivered(setup.db) == 0
    for row in setup.outbox():
        assert row.delivered_at == T0 + RETRY_FIRST * 3
        assert row.last_error is None
        assert row.attempts == 3


async def test_new_sightings_after_a_partial_failure_reach_every_target(
    setup: Setup, alert_receiver: AlertReceiver, unreachable_port: int
) -> None:
    late_url = _closed_port_url(unreachable_port)
    setup.client("k1", stored_urls=[alert_receiver.apprise_url, late_url])
    setup.sight("k1", "https://forum.example/media/old.jpg")
    delivery = setup.delivery()
    await delivery.deliver_due()

    setup.clock.advance(RETRY_FIRST)
    setup.sight("k1", "https://forum.example/media/new.jpg")
    with receiver_on_port(unreachable_port) as late_receiver:
        await delivery.deliver_due()

    # The good target gets the new sighting only; the late one gets each sighting once.
    assert len(alert_receiver.messages) == 2
    assert "old.jpg" not in alert_receiver.messages[1]["message"]
    assert "new.jpg" in alert_receiver.messages[1]["message"]
    late_text = " ".join(message["message"] for message in late_receiver.messages)
    assert late_text.count("old.jpg") == 1
    assert late_text.count("new.jpg") == 1
    assert count_undelivered(setup.db) == 0


async def test_an_invalid_url_fails_alone(setup: Setup, alert_receiver: AlertReceiver) -> None:
    setup.client("k1", stored_urls=["this is not a notification url", alert_receiver.apprise_url])
    setup.sight("k1", "https://forum.example/media/1.jpg")

    report = await setup.delivery().deliver_due()

    assert report == DeliveryReport(messages_sent=1, sightings_delivered=0, sightings_pending=1)
    assert len(alert_receiver.messages) == 1
    [row] = setup.outbox()
    assert row.last_error is not None
    assert "not a valid Apprise URL" in row.last_error
    assert "this is not a notification url" not in row.last_error


async def test_a_mistyped_url_never_puts_its_secret_in_the_log(
    setup: Setup, alert_receiver: AlertReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "pa55-Word-9f3k"
    setup.client("k1", stored_urls=[f"json//ally:{secret}@127.0.0.1:9/hook"])
    setup.config_urls["k1"] = [alert_receiver.apprise_url]
    setup.sight("k1", "https://forum.example/media/1.jpg")

    with caplog.at_level(logging.DEBUG):
        await setup.delivery().deliver_due()

    assert len(alert_receiver.messages) == 1
    assert secret not in caplog.text
    assert all(secret not in (row.last_error or "") for row in setup.outbox())


async def test_a_client_without_a_url_gets_nothing_and_keeps_its_alerts_owed(
    setup: Setup, alert_receiver: AlertReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    setup.client("has-url", stored_urls=[alert_receiver.apprise_url])
    setup.client("no-url")
    setup.sight("no-url", "https://forum.example/media/1.jpg")
    setup.sight("no-url", "https://forum.example/media/2.jpg")

    with caplog.at_level(logging.WARNING, logger="monitor.alerts.delivery"):
        report = await setup.delivery().deliver_due()

    assert report == DeliveryReport(messages_sent=0, sightings_delivered=0, sightings_pending=2)
    assert alert_receiver.messages == [], "another client's receiver must not get the alert"
    assert count_undelivered(setup.db) == 2
    for row in setup.outbox():
        assert row.last_error == "no notification URL configured"
        assert row.delivered_at is None
    [warning] = [r for r in caplog.records if r.name == "monitor.alerts.delivery"]
    assert warning.levelno == logging.WARNING
    assert "no-url" in warning.getMessage()
    assert "2 alert(s)" in warning.getMessage()


async def test_alerts_owed_to_a_client_are_sent_once_a_url_is_added(
    setup: Setup, alert_receiver: AlertReceiver
) -> None:
    setup.client("k1")
    setup.sight("k1", "https://forum.example/media/1.jpg")
    delivery = setup.delivery()
    await delivery.deliver_due()

    setup.config_urls["k1"] = [alert_receiver.apprise_url]
    setup.clock.advance(RETRY_FIRST)
    report = await delivery.deliver_due()

    assert report == DeliveryReport(messages_sent=1, sightings_delivered=1, sightings_pending=0)
    assert len(alert_receiver.messages) == 1


async def test_retry_waits_double_up_to_the_maximum(setup: Setup, unreachable_port: int) -> None:
    setup.client("k1", stored_urls=[_closed_port_url(unreachable_port)])
    setup.sight("k1", "https://forum.example/media/1.jpg")
    delivery = setup.delivery()

    waits = []
    for _ in range(7):
        report = await delivery.deliver_due()
        assert report.sightings_pending == 1
        [row] = setup.outbox()
        waits.append(row.next_attempt_at - setup.clock.now)
        # Nothing happens a second before the retry time.
        setup.clock.now = row.next_attempt_at - timedelta(seconds=1)
        assert await delivery.deliver_due() == DeliveryReport(0, 0, 0)
        setup.clock.now = row.next_attempt_at

    minutes = [wait / timedelta(minutes=1) for wait in waits]
    assert minutes == [1, 2, 4, 8, 10, 10, 10]
    assert setup.outbox()[0].attempts == 7


async def test_a_long_outage_keeps_retrying_at_the_maximum_wait(
    setup: Setup, alert_receiver: AlertReceiver
) -> None:
    setup.client("no-url-for-days")
    setup.sight("no-url-for-days", "https://forum.example/media/1.jpg")
    delivery = setup.delivery()
    for _ in range(45):
        await delivery.deliver_due()
        setup.clock.advance(RETRY_MAX)

    setup.client("k2", stored_urls=[alert_receiver.apprise_url])
    setup.sight("k2", "https://forum.example/media/2.jpg")
    report = await delivery.deliver_due()

    assert report.sightings_delivered == 1
    assert len(alert_receiver.messages) == 1
