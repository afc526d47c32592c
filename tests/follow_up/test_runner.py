"""Follow-through end to end: a reported sighting is re-checked against a real loopback server,
verified removed after two gone checks, alerted once, and alerted at once when it comes back."""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.follow_up_delivery import FollowUpAlertDelivery
from monitor.alerts.render import DISCREET_WORDS
from monitor.config import Settings
from monitor.demo.server import AlertReceiver
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.fingerprint import Hash, MatchSettings, fingerprint_enrolled
from monitor.follow_up.runner import FollowThrough
from monitor.follow_up.settings import FollowUpSettings
from monitor.scheduler import Daemon
from monitor.service import running_monitor
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.follow_up import list_checks
from monitor.store.records import Observation
from monitor.store.review import change_status, get_sighting, status_history
from monitor.store.sightings import record_sighting
from monitor.store.tables import EvidenceEntryRow, SightingFollowUpRow
from tests.follow_up.conftest import Answer, ScriptedWeb

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EVERY = timedelta(hours=6)
CASE = "K-17"


@functools.cache
def enrolled_hashes(picture: bytes) -> tuple[Hash, ...]:
    return fingerprint_enrolled(picture, max_pixels=80_000_000)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta = EVERY) -> None:
        self.now += delta


@dataclass
class Case:
    db: Database
    web: ScriptedWeb
    clock: Clock
    follow_through: FollowThrough
    delivery: FollowUpAlertDelivery
    receiver: AlertReceiver
    sighting_id: int
    item_id: int

    async def recheck(self) -> None:
        self.clock.advance()
        await self.follow_through.run_due()
        await self.delivery.deliver_due()

    def titles(self) -> list[str]:
        return [message["title"] for message in self.receiver.messages]

    def status(self) -> str:
        return get_sighting(self.db, self.sighting_id).status


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    settings = FetchSettings(
        allow_private_addresses=True,
        per_host_delay=0.0,
        per_host_concurrency=8,
        total_timeout=3.0,
        connect_timeout=1.0,
    )
    async with Fetcher(settings) as client:
        yield client


def observe(db: Database, web: ScriptedWeb, *, item_id: int, path: str, at: datetime) -> int:
    return record_sighting(
        db,
        observation=Observation(
            client_id=CASE,
            item_id=item_id,
            image_url=web.url(path),
            page_url=web.url("/t/1"),
            final_url=web.url(path),
            source="board",
            seen_at=at,
            distance=0,
            algorithm="sha256",
            sha256="e" * 64,
            http_status=200,
        ),
        takedown_url="https://forum.example/report",
    ).sighting.id


@pytest.fixture
def case(
    db: Database,
    scripted_web: ScriptedWeb,
    fetcher: Fetcher,
    alert_receiver: AlertReceiver,
    pictures: list[bytes],
) -> Case:
    add_client(db, client_id=CASE)
    item_id = enroll_item(
        db,
        client_id=CASE,
        hashes=enrolled_hashes(pictures[0]),
        sha256=hashlib.sha256(pictures[0]).hexdigest(),
        origin="image",
    ).item_id
    scripted_web.image("/i/1.jpg", pictures[0])
    scripted_web.page("/t/1", "/i/1.jpg")
    sighting_id = observe(db, scripted_web, item_id=item_id, path="/i/1.jpg", at=T0)
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    change_status(
        db,
        sighting_id=sighting_id,
        to_status="reported",
        at=T0 + timedelta(minutes=5),
        reported_to="the forum's privacy form",
    )
    clock = Clock(T0)
    return Case(
        db=db,
        web=scripted_web,
        clock=clock,
        follow_through=FollowThrough(
            db=db,
            fetcher=fetcher,
            settings=FollowUpSettings(every=EVERY),
            matching=MatchSettings(),
            max_pixels=80_000_000,
            fetch_timeout=3.0,
            clock=clock,
        ),
        delivery=FollowUpAlertDelivery(
            db=db,
            notifier=AppriseNotifier(timeout=5),
            config_urls=lambda _client: [alert_receiver.apprise_url],
            retry_first=timedelta(minutes=1),
            retry_max=timedelta(hours=1),
            clock=clock,
        ),
        receiver=alert_receiver,
        sighting_id=sighting_id,
        item_id=item_id,
    )


async def test_removed_after_two_gone_checks_alerted_once_and_at_once_when_back(
    case: Case, pictures: list[bytes]
) -> None:
    await case.recheck()
    assert case.status() == "reported"

    case.web.status("/i/1.jpg", 404)
    case.web.status("/t/1", 404)
    await case.recheck()
    assert case.status() == "reported"  # one gone check is not enough
    await case.recheck()
    assert case.status() == "removed"
    assert case.titles() == [f"Monitor: 1 match removed for case {CASE}"]
    removal = status_history(case.db, case.sighting_id)[-1]
    assert (removal.to_status, removal.at) == ("removed", case.clock.now)
    assert removal.note == "verified removed: 2 checks, 404 then 404"

    await case.recheck()  # still gone: nothing new to say
    await case.recheck()
    assert case.titles() == [f"Monitor: 1 match removed for case {CASE}"]

    case.web.image("/i/1.jpg", pictures[0])
    await case.recheck()
    assert case.status() == "reappeared"
    assert case.titles()[1:] == [f"Monitor: a removed match is back for case {CASE}"]

    checks = list_checks(case.db, sighting_id=case.sighting_id)
    assert [check.outcome for check in checks] == [
        "present",
        "absent",
        "absent",
        "absent",
        "absent",
        "present",
    ]
    assert [check.checked_at for check in checks] == [T0 + EVERY * number for number in range(1, 7)]
    with case.db.session() as session:
        logged = session.exec(
            select(EvidenceEntryRow.kind).where(col(EvidenceEntryRow.client_id) == CASE)
        ).all()
    assert logged.count("recheck") == 6
    for message in case.receiver.messages:
        text = f"{message['title']} {message['message']}".lower()
        assert not [word for word in DISCREET_WORDS if word in text]


async def test_gone_again_after_coming_back_is_alerted_again(
    case: Case, pictures: list[bytes]
) -> None:
    for answer in (404, 404, 200, 404, 404):
        if answer == 200:
            case.web.image("/i/1.jpg", pictures[0])
        else:
            case.web.status("/i/1.jpg", 404)
            case.web.status("/t/1", 404)
        await case.recheck()
    assert case.status() == "removed"
    assert case.titles() == [
        f"Monitor: 1 match removed for case {CASE}",
        f"Monitor: a removed match is back for case {CASE}",
        f"Monitor: 1 match removed for case {CASE}",
    ]


async def test_server_errors_and_stalls_change_nothing(case: Case) -> None:
    case.web.status("/i/1.jpg", 404)
    case.web.status("/t/1", 404)
    await case.recheck()
    case.web.status("/i/1.jpg", 503)
    await case.recheck()
    case.web.answers["/i/1.jpg"] = Answer(404, stall=30)
    await case.recheck()
    assert case.status() == "reported"
    assert case.titles() == []
    outcomes = [check.outcome for check in list_checks(case.db, sighting_id=case.sighting_id)]
    assert outcomes == ["absent", "inconclusive", "inconclusive"]

    case.web.status("/i/1.jpg", 410)  # inconclusive checks count neither way: this is the 2nd
    await case.recheck()
    assert case.status() == "removed"
    assert status_history(case.db, case.sighting_id)[-1].note == (
        "verified removed: 2 checks, 404 then 410"
    )


async def test_a_sighting_is_checked_only_when_due(case: Case) -> None:
    await case.recheck()
    await case.follow_through.run_due()  # same moment: nothing is due
    case.clock.advance(EVERY - timedelta(minutes=1))
    report = await case.follow_through.run_due()
    assert report.checked == 0
    assert len(list_checks(case.db, sighting_id=case.sighting_id)) == 1


async def test_the_same_picture_found_elsewhere_after_removal_is_a_reappearance(
    case: Case,
) -> None:
    case.web.status("/i/1.jpg", 404)
    case.web.status("/t/1", 404)
    await case.recheck()
    await case.recheck()
    assert case.status() == "removed"
    case.clock.advance(timedelta(minutes=3))
    observe(case.db, case.web, item_id=case.item_id, path="/i/copy.jpg", at=case.clock.now)
    report = await case.follow_through.run_due()
    await case.delivery.deliver_due()
    assert report.reappeared == (case.sighting_id,)
    assert case.status() == "reappeared"
    assert "/i/copy.jpg" in (status_history(case.db, case.sighting_id)[-1].note or "")
    assert case.titles()[-1] == f"Monitor: a removed match is back for case {CASE}"


async def test_a_dismissed_sighting_is_no_longer_checked(case: Case, pictures: list[bytes]) -> None:
    other = observe(case.db, case.web, item_id=case.item_id, path="/i/2.jpg", at=T0)
    change_status(case.db, sighting_id=other, to_status="confirmed", at=T0)
    change_status(case.db, sighting_id=other, to_status="dismissed", at=T0)
    await case.recheck()
    assert list_checks(case.db, sighting_id=other) == []
    with case.db.session() as session:
        assert session.get(SightingFollowUpRow, other) is not None


async def test_a_run_checks_at_most_a_batch_a_few_at_a_time(
    case: Case, fetcher: Fetcher, pictures: list[bytes]
) -> None:
    for number in range(2, 7):
        other = observe(case.db, case.web, item_id=case.item_id, path=f"/i/{number}.jpg", at=T0)
        change_status(case.db, sighting_id=other, to_status="confirmed", at=T0)
    small = FollowThrough(
        db=case.db,
        fetcher=fetcher,
        settings=FollowUpSettings(every=EVERY, concurrency=2, batch=5),
        matching=MatchSettings(),
        max_pixels=80_000_000,
        fetch_timeout=3.0,
        clock=case.clock,
    )
    case.clock.advance()
    first = await small.run_due()
    second = await small.run_due()
    assert (first.checked, second.checked) == (5, 1)
    assert (await small.run_due()).checked == 0


async def test_the_daemon_runs_due_re_checks(
    tmp_path: Path, scripted_web: ScriptedWeb, pictures: list[bytes]
) -> None:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'daemon.db'}"},
            "fetch": {"allow_private_addresses": True, "per_host_delay": 0, "total_timeout": 2},
        }
    )
    async with running_monitor(settings) as monitor:
        add_client(monitor.db, client_id=CASE)
        item_id = enroll_item(
            monitor.db,
            client_id=CASE,
            hashes=enrolled_hashes(pictures[0]),
            sha256=None,
            origin="image",
        ).item_id
        scripted_web.image("/i/1.jpg", pictures[0])
        now = datetime.now(UTC)
        sighting_id = observe(monitor.db, scripted_web, item_id=item_id, path="/i/1.jpg", at=now)
        change_status(monitor.db, sighting_id=sighting_id, to_status="confirmed", at=now)
        daemon = Daemon(monitor)
        running = asyncio.create_task(daemon.run())
        for _ in range(100):
            if list_checks(monitor.db, sighting_id=sighting_id):
                break
            await asyncio.sleep(0.1)
        daemon.stop()
        await asyncio.wait_for(running, 30)
        (check,) = list_checks(monitor.db, sighting_id=sighting_id)
    assert check.outcome == "present"
