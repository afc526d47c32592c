"""Removal and reappearance alerts: discreet text, delivered at least once, never twice to one
target, retried only to the targets that missed them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.follow_up_delivery import FollowUpAlertDelivery
from monitor.alerts.render import DISCREET_WORDS, FollowUpItem, render_reappeared, render_removed
from monitor.demo.server import AlertReceiver
from monitor.fingerprint.hashes import Hash
from monitor.store import Database, open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import record_sighting

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# Nothing listens on port 9 (discard) on the loopback: the target that always fails.
DEAD_URL = "json://127.0.0.1:9/alerts"


def item(number: int, *, url: str = "https://forum.example/t/1") -> FollowUpItem:
    return FollowUpItem(
        page_url=url,
        image_url=f"https://cdn.example/{number}.jpg",
        first_seen=T0,
        changed_at=T0 + timedelta(hours=number),
        takedown_url="https://forum.example/report",
        sighting_id=number,
    )


def test_titles_carry_only_a_count_and_the_case() -> None:
    assert render_removed(case_label="K-17", items=[item(1)]).title == (
        "Monitor: 1 match removed for case K-17"
    )
    assert render_removed(case_label="K-17", items=[item(1), item(2)]).title == (
        "Monitor: 2 matches removed for case K-17"
    )
    assert render_reappeared(case_label="K-17", items=[item(1)]).title == (
        "Monitor: a removed match is back for case K-17"
    )
    back = render_reappeared(case_label="K-17", items=[item(1), item(2)])
    assert back.title == "Monitor: 2 removed matches are back for case K-17"
    assert back.body.startswith("2 removed matches are back for case K-17.")
    assert "Request removal: https://forum.example/report" in back.body


def test_the_templates_have_no_explicit_words_and_urls_cannot_forge_lines() -> None:
    hostile = item(1, url="https://x.example/a\nMonitor: fake line\u2028more")
    for render in (render_removed, render_reappeared):
        message = render(case_label="K-17\nInjected", items=[hostile])
        assert "\nMonitor: fake line" not in message.body
        assert "\n" not in message.title
        template = render(case_label="K-17", items=[item(1)])
        text = f"{template.title}\n{template.body}".lower()
        assert [word for word in DISCREET_WORDS if word in text] == []


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    yield database
    database.dispose()


def removed_sighting(db: Database) -> int:
    add_client(db, client_id="K-17")
    item_id = enroll_item(
        db,
        client_id="K-17",
        hashes=[Hash(algorithm="pdq", hex="3" * 64)],
        sha256=None,
        origin="import",
    ).item_id
    sighting_id = record_sighting(
        db,
        observation=Observation(
            client_id="K-17",
            item_id=item_id,
            image_url="https://cdn.example/1.jpg",
            page_url="https://forum.example/t/1",
            final_url="https://cdn.example/1.jpg",
            source="board",
            seen_at=T0,
            distance=0,
            algorithm="pdq",
            sha256="d" * 64,
            http_status=200,
        ),
        takedown_url="https://forum.example/report",
    ).sighting.id
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    change_status(db, sighting_id=sighting_id, to_status="removed", at=T0 + timedelta(hours=1))
    return sighting_id


async def test_a_failed_target_is_retried_alone_and_the_other_is_never_sent_twice(
    db: Database, alert_receiver: AlertReceiver
) -> None:
    removed_sighting(db)
    now = [T0 + timedelta(hours=2)]
    delivery = FollowUpAlertDelivery(
        db=db,
        notifier=AppriseNotifier(timeout=2),
        config_urls=lambda _client: [alert_receiver.apprise_url, DEAD_URL],
        retry_first=timedelta(minutes=1),
        retry_max=timedelta(hours=1),
        clock=lambda: now[0],
    )
    first = await delivery.deliver_due()
    assert (first.messages_sent, first.sightings_pending) == (1, 1)
    now[0] += timedelta(seconds=30)  # before the retry is due
    assert (await delivery.deliver_due()).sightings_pending == 0
    now[0] += timedelta(minutes=5)
    retry = await delivery.deliver_due()
    assert (retry.messages_sent, retry.sightings_pending) == (0, 1)
    assert [message["title"] for message in alert_receiver.messages] == [
        "Monitor: 1 match removed for case K-17"
    ]


async def test_each_alert_is_delivered_once(db: Database, alert_receiver: AlertReceiver) -> None:
    sighting_id = removed_sighting(db)
    change_status(db, sighting_id=sighting_id, to_status="reappeared", at=T0 + timedelta(hours=3))
    delivery = FollowUpAlertDelivery(
        db=db,
        notifier=AppriseNotifier(timeout=2),
        config_urls=lambda _client: [alert_receiver.apprise_url],
        retry_first=timedelta(minutes=1),
        retry_max=timedelta(hours=1),
        clock=lambda: T0 + timedelta(hours=4),
    )
    report = await delivery.deliver_due()
    assert (report.messages_sent, report.sightings_delivered) == (2, 2)
    assert (await delivery.deliver_due()).messages_sent == 0
    assert sorted(message["title"] for message in alert_receiver.messages) == [
        "Monitor: 1 match removed for case K-17",
        "Monitor: a removed match is back for case K-17",
    ]
