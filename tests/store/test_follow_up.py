"""Re-check bookkeeping: follow-ups start on review, claims are exclusive leases, a check is
recorded only by the claim that took it, and each machine-made status change owes one alert."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.erase import erase_client
from monitor.store.follow_up import (
    CHECK_LEASE,
    CheckRecord,
    DueCheck,
    claim_due_checks,
    record_check,
    release_claim,
    start_missing_follow_ups,
)
from monitor.store.follow_up_alerts import (
    claim_due_follow_up_alerts,
    count_undelivered_follow_up_alerts,
    record_follow_up_delivery,
)
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import record_sighting
from monitor.store.tables import FollowUpAlertRow, SightingFollowUpRow, SightingRow

T0 = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def _sighting(db: Database, *, number: int = 0, client_id: str = "k1") -> int:
    if number == 0:
        add_client(db, client_id=client_id)
    item_id = enroll_item(
        db,
        client_id=client_id,
        hashes=[Hash(algorithm="pdq", hex="1" * 64)],
        sha256=None,
        origin="import",
    ).item_id
    url = f"https://x.example/{number}.jpg"
    return record_sighting(
        db,
        observation=Observation(
            client_id=client_id,
            item_id=item_id,
            image_url=url,
            page_url="https://x.example/t/1",
            final_url=url,
            source="board",
            seen_at=T0,
            distance=0,
            algorithm="sha256",
            sha256="e" * 64,
            http_status=200,
        ),
        takedown_url="https://x.example/report",
    ).sighting.id


def _absent(at: datetime) -> CheckRecord:
    return CheckRecord(
        checked_at=at, outcome="absent", image_status=404, page_status=404, detail="image: 404"
    )


def test_confirming_starts_the_follow_up_due_at_once(db: Database) -> None:
    sighting_id = _sighting(db)
    assert claim_due_checks(db, now=T0, limit=10) == []  # new sightings are not followed
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    (due,) = claim_due_checks(db, now=T0, limit=10)
    assert (due.sighting_id, due.status, due.claim) == (sighting_id, "confirmed", T0 + CHECK_LEASE)


def test_a_claimed_check_is_not_claimed_again_until_its_lease_runs_out(db: Database) -> None:
    sighting_id = _sighting(db)
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    assert len(claim_due_checks(db, now=T0, limit=10)) == 1
    assert claim_due_checks(db, now=T0 + timedelta(minutes=1), limit=10) == []
    later = T0 + CHECK_LEASE + timedelta(seconds=1)
    assert [due.sighting_id for due in claim_due_checks(db, now=later, limit=10)] == [sighting_id]


def test_racing_claimers_never_take_the_same_sighting(db: Database) -> None:
    for number in range(12):
        sighting_id = _sighting(db, number=number)
        change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    taken: list[list[DueCheck]] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        taken.append(claim_due_checks(db, now=T0, limit=12))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [due.sighting_id for batch in taken for due in batch]
    assert sorted(ids) == sorted(set(ids))
    assert len(ids) == 12


def test_a_check_whose_lease_was_lost_is_not_recorded(db: Database) -> None:
    sighting_id = _sighting(db)
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    (stale,) = claim_due_checks(db, now=T0, limit=1)
    later = T0 + CHECK_LEASE + timedelta(seconds=1)
    (fresh,) = claim_due_checks(db, now=later, limit=1)
    next_check_at = later + timedelta(hours=6)
    for due in (stale, fresh):
        record_check(
            db,
            due=due,
            check=_absent(later),
            next_check_at=next_check_at,
            checks_to_confirm_removal=2,
        )
    with db.session() as session:
        follow_up = session.get(SightingFollowUpRow, sighting_id)
        assert follow_up is not None
        assert (follow_up.absent_in_a_row, follow_up.claimed_until) == (1, None)


def test_a_released_claim_is_due_again(db: Database) -> None:
    sighting_id = _sighting(db)
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    (due,) = claim_due_checks(db, now=T0, limit=1)
    release_claim(db, due=due)
    assert [again.sighting_id for again in claim_due_checks(db, now=T0, limit=1)] == [sighting_id]


def test_sightings_reviewed_before_follow_up_existed_are_picked_up(db: Database) -> None:
    sighting_id = _sighting(db)
    with db.session() as session:
        row = session.get(SightingRow, sighting_id)
        assert row is not None
        row.status = "reported"
        session.add(row)
    assert start_missing_follow_ups(db, now=T0) == 1
    assert start_missing_follow_ups(db, now=T0) == 0
    assert [due.sighting_id for due in claim_due_checks(db, now=T0, limit=5)] == [sighting_id]


def test_each_removal_and_return_owes_one_alert_delivered_once(db: Database) -> None:
    sighting_id = _sighting(db)
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    for minutes, status in ((10, "removed"), (20, "reappeared"), (30, "removed")):
        change_status(
            db, sighting_id=sighting_id, to_status=status, at=T0 + timedelta(minutes=minutes)
        )
    pending = claim_due_follow_up_alerts(db, now=T0 + timedelta(hours=1))
    assert [alert.kind for alert in pending] == ["removed", "reappeared", "removed"]
    assert claim_due_follow_up_alerts(db, now=T0 + timedelta(hours=1)) == []  # leased
    record_follow_up_delivery(
        db,
        alert_ids=[alert.alert_id for alert in pending],
        now=T0 + timedelta(hours=1),
        succeeded={"a"},
        all_targets={"a"},
        error=None,
        retry_at=T0 + timedelta(hours=2),
    )
    assert count_undelivered_follow_up_alerts(db) == 0
    assert claim_due_follow_up_alerts(db, now=T0 + timedelta(days=1)) == []


def test_erasing_a_client_erases_its_follow_up(db: Database) -> None:
    sighting_id = _sighting(db)
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    change_status(db, sighting_id=sighting_id, to_status="removed", at=T0)
    erase_client(db, "k1")
    with db.session() as session:
        assert session.exec(select(FollowUpAlertRow)).all() == []
        assert (
            session.exec(
                select(SightingFollowUpRow).where(col(SightingFollowUpRow.client_id) == "k1")
            ).all()
            == []
        )
