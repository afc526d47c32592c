"""The alert outbox: claims are leases, deliveries are remembered per target, retries wait."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.outbox import (
    CLAIM_LEASE,
    claim_due_alerts,
    count_undelivered,
    record_delivery,
)
from monitor.store.records import Observation, PendingAlert
from monitor.store.sightings import record_sighting
from monitor.store.tables import OutboxRow

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
A, B = "target-a", "target-b"


def _sightings(db: Database, count: int, *, client_id: str = "k1", at: datetime = T0) -> None:
    add_client(db, client_id=client_id)
    item_id = enroll_item(
        db,
        client_id=client_id,
        hashes=[Hash(algorithm="pdq", hex="1" * 64)],
        sha256=None,
        origin="import",
    ).item_id
    for number in range(count):
        url = f"https://x.example/{client_id}/{number}.jpg"
        record_sighting(
            db,
            observation=Observation(
                client_id=client_id,
                item_id=item_id,
                image_url=url,
                page_url="https://x.example/t/1",
                final_url=url,
                source="board",
                seen_at=at,
                distance=0,
                algorithm="sha256",
                sha256="e" * 64,
                http_status=200,
            ),
            takedown_url="https://x.example/report",
        )


def _row(db: Database, outbox_id: int) -> OutboxRow:
    with db.session() as session:
        row = session.get(OutboxRow, outbox_id)
        assert row is not None
        return row


def _ids(alerts: list[PendingAlert]) -> list[int]:
    return [alert.outbox_id for alert in alerts]


def _deliver(
    db: Database,
    alerts: list[PendingAlert],
    *,
    now: datetime,
    succeeded: set[str],
    retry_in: timedelta = timedelta(minutes=1),
    error: str | None = None,
) -> None:
    record_delivery(
        db,
        outbox_ids=_ids(alerts),
        now=now,
        succeeded=succeeded,
        all_targets={A, B},
        error=error,
        retry_at=now + retry_in,
    )


def test_claim_returns_due_alerts_with_their_sightings_in_order(db: Database) -> None:
    _sightings(db, 3)

    claimed = claim_due_alerts(db, now=T0)

    assert [alert.sighting.image_url for alert in claimed] == [
        f"https://x.example/k1/{n}.jpg" for n in range(3)
    ]
    assert _ids(claimed) == sorted(_ids(claimed))
    assert {alert.client_id for alert in claimed} == {"k1"}
    assert all(alert.attempts == 0 for alert in claimed)


def test_nothing_is_due_before_its_time(db: Database) -> None:
    _sightings(db, 2, at=T0)

    assert claim_due_alerts(db, now=T0 - timedelta(seconds=1)) == []
    assert len(claim_due_alerts(db, now=T0)) == 2


def test_a_claim_is_a_lease_that_runs_out(db: Database) -> None:
    _sightings(db, 2)
    first = claim_due_alerts(db, now=T0)

    assert claim_due_alerts(db, now=T0) == [], "claimed rows are not handed out twice"
    assert claim_due_alerts(db, now=T0 + CLAIM_LEASE - timedelta(seconds=1)) == []
    assert count_undelivered(db) == 2

    # The claimer died without recording anything: after the lease the rows come back.
    reclaimed = claim_due_alerts(db, now=T0 + CLAIM_LEASE + timedelta(seconds=1))
    assert _ids(reclaimed) == _ids(first)
    assert all(alert.attempts == 0 for alert in reclaimed)


def test_claim_respects_the_limit_and_leaves_the_rest(db: Database) -> None:
    _sightings(db, 5)

    first = claim_due_alerts(db, now=T0, limit=2)
    rest = claim_due_alerts(db, now=T0, limit=10)

    assert len(first) == 2
    assert len(rest) == 3
    assert set(_ids(first)).isdisjoint(_ids(rest))


def test_every_target_succeeding_marks_the_alert_delivered(db: Database) -> None:
    _sightings(db, 2)
    claimed = claim_due_alerts(db, now=T0)

    _deliver(db, claimed, now=T0 + timedelta(seconds=2), succeeded={A, B})

    assert count_undelivered(db) == 0
    assert claim_due_alerts(db, now=T0 + timedelta(days=30)) == []
    row = _row(db, claimed[0].outbox_id)
    assert row.delivered_at == T0 + timedelta(seconds=2)
    assert row.delivered_targets == [A, B]
    assert row.attempts == 1
    assert row.last_error is None
    assert row.claimed_until is None


def test_partial_success_leaves_only_the_failed_target_owed(db: Database) -> None:
    _sightings(db, 2)
    claimed = claim_due_alerts(db, now=T0)

    _deliver(db, claimed, now=T0, succeeded={A}, error="json://127.0.0.1:9/***: refused")

    assert count_undelivered(db) == 2
    row = _row(db, claimed[0].outbox_id)
    assert row.last_error == "json://127.0.0.1:9/***: refused"
    assert row.next_attempt_at == T0 + timedelta(minutes=1)
    assert row.claimed_until is None, "a recorded attempt releases the lease"
    assert claim_due_alerts(db, now=T0 + timedelta(seconds=59)) == [], "retry_at is respected"

    retry = claim_due_alerts(db, now=T0 + timedelta(minutes=1))
    assert _ids(retry) == _ids(claimed)
    assert all(alert.delivered_targets == frozenset({A}) for alert in retry)
    assert all(alert.attempts == 1 for alert in retry)

    _deliver(db, retry, now=T0 + timedelta(minutes=1), succeeded={B})

    assert count_undelivered(db) == 0
    assert _row(db, claimed[0].outbox_id).delivered_targets == [A, B]
    assert _row(db, claimed[0].outbox_id).attempts == 2


def test_a_target_that_took_the_alert_stays_remembered_through_failures(db: Database) -> None:
    _sightings(db, 1)
    now = T0
    _deliver(db, claim_due_alerts(db, now=now), now=now, succeeded={A}, error="b down")
    for _ in range(3):
        now += timedelta(hours=1)
        _deliver(db, claim_due_alerts(db, now=now), now=now, succeeded=set(), error="b down")

    [alert] = claim_due_alerts(db, now=now + timedelta(hours=1))

    assert alert.delivered_targets == frozenset({A})
    assert alert.attempts == 4


def test_no_targets_at_all_is_never_delivered(db: Database) -> None:
    _sightings(db, 1)
    claimed = claim_due_alerts(db, now=T0)

    record_delivery(
        db,
        outbox_ids=_ids(claimed),
        now=T0,
        succeeded=(),
        all_targets=(),
        error="no notification URL configured",
        retry_at=T0 + timedelta(minutes=1),
    )

    assert count_undelivered(db) == 1
    row = _row(db, claimed[0].outbox_id)
    assert row.delivered_at is None
    assert row.last_error == "no notification URL configured"


def test_recording_one_client_leaves_another_clients_alerts_alone(db: Database) -> None:
    _sightings(db, 1, client_id="k1")
    _sightings(db, 1, client_id="k2")
    claimed = {alert.client_id: alert for alert in claim_due_alerts(db, now=T0)}

    _deliver(db, [claimed["k1"]], now=T0, succeeded={A, B})

    assert count_undelivered(db) == 1
    assert _row(db, claimed["k2"].outbox_id).delivered_at is None
    assert _row(db, claimed["k2"].outbox_id).claimed_until == T0 + CLAIM_LEASE


def test_times_in_other_zones_mean_the_same_instant(db: Database) -> None:
    _sightings(db, 1, at=T0)
    tokyo = timezone(timedelta(hours=9))

    assert claim_due_alerts(db, now=(T0 - timedelta(seconds=1)).astimezone(tokyo)) == []
    assert len(claim_due_alerts(db, now=T0.astimezone(tokyo))) == 1


def test_a_naive_now_is_refused(db: Database) -> None:
    _sightings(db, 1)

    with pytest.raises(StatementError, match="naive datetime"):
        claim_due_alerts(db, now=datetime(2026, 5, 1, 12, 0))

    assert len(claim_due_alerts(db, now=T0)) == 1, "the refused claim leased nothing"


def test_recording_unknown_ids_changes_nothing(db: Database) -> None:
    _sightings(db, 1)

    record_delivery(
        db,
        outbox_ids=[999, -1],
        now=T0,
        succeeded={A, B},
        all_targets={A, B},
        error=None,
        retry_at=T0,
    )

    assert count_undelivered(db) == 1


def test_concurrent_claims_hand_out_each_alert_once(db: Database) -> None:
    _sightings(db, 50)
    claimers = 4
    barrier = threading.Barrier(claimers)
    claimed: list[list[int]] = []

    def claim() -> None:
        barrier.wait(timeout=30)
        claimed.append(_ids(claim_due_alerts(db, now=T0)))

    threads = [threading.Thread(target=claim) for _ in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    every_claim = [outbox_id for ids in claimed for outbox_id in ids]
    assert sorted(every_claim) == sorted(set(every_claim)), "an alert was claimed twice"
    assert len(every_claim) == 50
