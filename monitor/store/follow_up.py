"""Re-check bookkeeping: which sightings are due, who is checking them, what each check found.

A sighting is followed up from the moment a person confirms or reports it. A check is claimed
with a lease (`claimed_until`, taken by a conditional UPDATE), so two processes never check the
same sighting at once, and a check is recorded only by the claim that took it. Status changes
(removed, reappeared) go through `monitor.store.review.change_status`, which calls
`after_status_change` in its transaction to keep this bookkeeping and owe the alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from monitor.fingerprint.hashes import Hash
from monitor.store.database import Database
from monitor.store.evidence import append_evidence
from monitor.store.tables import (
    FollowUpAlertRow,
    ItemHashRow,
    ItemRow,
    SightingCheckRow,
    SightingEventRow,
    SightingFollowUpRow,
    SightingRow,
)

CHECK_LEASE = timedelta(minutes=10)
UP_STATUSES = frozenset({"confirmed", "reported", "reappeared"})
FOLLOWED_STATUSES = UP_STATUSES | {"removed"}
ALERTED_STATUSES = frozenset({"removed", "reappeared"})


@dataclass(frozen=True)
class DueCheck:
    """A sighting claimed for one re-check; `claim` must be handed back to `record_check`."""

    sighting_id: int
    client_id: str
    item_id: int
    image_url: str
    page_url: str
    sha256: str
    status: str
    claim: datetime


@dataclass(frozen=True)
class CheckRecord:
    checked_at: datetime
    outcome: str  # "present", "absent" or "inconclusive"
    image_status: int | None
    page_status: int | None
    detail: str


@dataclass(frozen=True)
class StatusDecision:
    """What a recorded check calls for: a move to "removed" or "reappeared", with its note."""

    sighting_id: int
    to_status: str
    note: str


def after_status_change(
    session: Session, *, sighting: SightingRow, event: SightingEventRow
) -> None:
    """Called by `change_status` in its transaction: start following a confirmed or reported
    sighting; on a machine-made removal or reappearance, note it and owe the client one alert."""
    assert sighting.id is not None
    assert event.id is not None
    follow_up = session.get(SightingFollowUpRow, sighting.id)
    if event.to_status in {"confirmed", "reported"} and follow_up is None:
        session.add(
            SightingFollowUpRow(
                sighting_id=sighting.id, client_id=sighting.client_id, next_check_at=event.at
            )
        )
    if event.to_status not in ALERTED_STATUSES:
        return
    if follow_up is not None:
        follow_up.absent_in_a_row = 0
        if event.to_status == "removed":
            follow_up.removed_at = event.at
        else:
            follow_up.reappeared_at = event.at
        session.add(follow_up)
    session.add(
        FollowUpAlertRow(
            event_id=event.id,
            sighting_id=sighting.id,
            client_id=sighting.client_id,
            kind=event.to_status,
            created_at=event.at,
            next_attempt_at=event.at,
            delivered_targets=[],
        )
    )


def start_missing_follow_ups(db: Database, *, now: datetime) -> int:
    """Follow sightings confirmed or reported before follow-up existed (or by another tool)."""
    with db.session() as session:
        missing = session.exec(
            select(SightingRow.id, SightingRow.client_id).where(
                col(SightingRow.status).in_(FOLLOWED_STATUSES),
                ~exists().where(col(SightingFollowUpRow.sighting_id) == col(SightingRow.id)),
            )
        ).all()
    started = 0
    for sighting_id, client_id in missing:
        assert sighting_id is not None
        try:
            with db.session() as session:
                session.add(
                    SightingFollowUpRow(
                        sighting_id=sighting_id, client_id=client_id, next_check_at=now
                    )
                )
            started += 1
        except IntegrityError:
            continue  # another process started it first
    return started


def claim_due_checks(
    db: Database,
    *,
    now: datetime,
    limit: int,
    client_id: str | None = None,
    lease: timedelta = CHECK_LEASE,
) -> list[DueCheck]:
    """Claim up to `limit` due re-checks, oldest due first, each for `lease`."""
    claim = now + lease
    with db.session() as session:
        query = (
            select(SightingFollowUpRow, SightingRow)
            .join(SightingRow, col(SightingRow.id) == col(SightingFollowUpRow.sighting_id))
            .where(
                col(SightingRow.status).in_(FOLLOWED_STATUSES),
                col(SightingFollowUpRow.next_check_at) <= now,
                _unclaimed(now),
            )
            .order_by(col(SightingFollowUpRow.next_check_at), col(SightingFollowUpRow.sighting_id))
            .limit(limit)
        )
        if client_id is not None:
            query = query.where(col(SightingFollowUpRow.client_id) == client_id)
        if not db.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=SightingFollowUpRow)
        claimed = []
        for follow_up, sighting in session.exec(query).all():
            taken = session.execute(
                update(SightingFollowUpRow)
                .where(
                    col(SightingFollowUpRow.sighting_id) == follow_up.sighting_id,
                    _unclaimed(now),
                )
                .values(claimed_until=claim)
            )
            if getattr(taken, "rowcount", 0) != 1:
                continue  # another process claimed it between our read and this write
            assert sighting.id is not None
            claimed.append(
                DueCheck(
                    sighting_id=sighting.id,
                    client_id=sighting.client_id,
                    item_id=sighting.item_id,
                    image_url=sighting.image_url,
                    page_url=sighting.page_url,
                    sha256=sighting.sha256,
                    status=sighting.status,
                    claim=claim,
                )
            )
        return claimed


def item_reference(db: Database, *, item_id: int) -> tuple[tuple[Hash, ...], frozenset[str]]:
    """The enrolled item's hashes and the SHA-256 of its file, if it has one."""
    with db.session() as session:
        rows = session.exec(select(ItemHashRow).where(col(ItemHashRow.item_id) == item_id)).all()
        item = session.get(ItemRow, item_id)
        hashes = tuple(
            Hash(algorithm=row.algorithm, hex=row.hex, variant=row.variant) for row in rows
        )
        digests = frozenset({item.sha256} if item is not None and item.sha256 else ())
        return hashes, digests


def record_check(
    db: Database,
    *,
    due: DueCheck,
    check: CheckRecord,
    next_check_at: datetime,
    checks_to_confirm_removal: int,
) -> StatusDecision | None:
    """Keep one check (table + evidence log) and release the claim. None when the claim was
    lost (the lease ran out and another process took the sighting) or nothing changes."""
    with db.session() as session:
        follow_up = session.get(SightingFollowUpRow, due.sighting_id)
        sighting = session.get(SightingRow, due.sighting_id)
        if follow_up is None or sighting is None or follow_up.claimed_until != due.claim:
            return None
        session.add(
            SightingCheckRow(
                sighting_id=due.sighting_id,
                client_id=due.client_id,
                checked_at=check.checked_at,
                outcome=check.outcome,
                image_status=check.image_status,
                page_status=check.page_status,
                detail=check.detail[:2000],
            )
        )
        append_evidence(
            session,
            client_id=due.client_id,
            kind="recheck",
            at=check.checked_at,
            sighting_id=due.sighting_id,
            content=_evidence_content(sighting, check),
        )
        if check.outcome == "absent" and sighting.status in UP_STATUSES:
            follow_up.absent_in_a_row += 1
        elif check.outcome == "present":
            follow_up.absent_in_a_row = 0
        follow_up.last_checked_at = check.checked_at
        follow_up.next_check_at = next_check_at
        follow_up.claimed_until = None
        session.add(follow_up)
        session.flush()
        if sighting.status == "removed" and check.outcome == "present":
            return StatusDecision(
                sighting_id=due.sighting_id,
                to_status="reappeared",
                note=f"back: a check found it served again ({check.detail})",
            )
        if (
            sighting.status in UP_STATUSES
            and follow_up.absent_in_a_row >= checks_to_confirm_removal
        ):
            return StatusDecision(
                sighting_id=due.sighting_id,
                to_status="removed",
                note=_removal_note(session, due.sighting_id, follow_up.absent_in_a_row),
            )
        return None


def release_claim(db: Database, *, due: DueCheck) -> None:
    """Give a claimed check back without recording it (e.g. the run was stopped)."""
    with db.session() as session:
        session.execute(
            update(SightingFollowUpRow)
            .where(
                col(SightingFollowUpRow.sighting_id) == due.sighting_id,
                col(SightingFollowUpRow.claimed_until) == due.claim,
            )
            .values(claimed_until=None)
        )


def find_reappearances(db: Database, *, client_id: str | None = None) -> list[StatusDecision]:
    """Removed sightings a sweep has seen again: the same URL seen after the removal, or the
    same item or the same bytes found at a new sighting (not dismissed) after the removal."""
    decisions = []
    with db.session() as session:
        query = (
            select(SightingRow, SightingFollowUpRow.removed_at)
            .join(SightingFollowUpRow, col(SightingFollowUpRow.sighting_id) == col(SightingRow.id))
            .where(
                col(SightingRow.status) == "removed",
                col(SightingFollowUpRow.removed_at).is_not(None),
            )
        )
        if client_id is not None:
            query = query.where(col(SightingRow.client_id) == client_id)
        for sighting, removed_at in session.exec(query).all():
            assert sighting.id is not None
            assert removed_at is not None
            note = _sweep_reappearance(session, sighting, removed_at)
            if note is not None:
                decisions.append(
                    StatusDecision(sighting_id=sighting.id, to_status="reappeared", note=note)
                )
    return decisions


def list_checks(db: Database, *, sighting_id: int) -> list[CheckRecord]:
    with db.session() as session:
        rows = session.exec(
            select(SightingCheckRow)
            .where(col(SightingCheckRow.sighting_id) == sighting_id)
            .order_by(col(SightingCheckRow.checked_at), col(SightingCheckRow.id))
        ).all()
        return [_check_record(row) for row in rows]


def _unclaimed(now: datetime) -> Any:
    return or_(
        col(SightingFollowUpRow.claimed_until).is_(None),
        col(SightingFollowUpRow.claimed_until) < now,
    )


def _sweep_reappearance(
    session: Session, sighting: SightingRow, removed_at: datetime
) -> str | None:
    if sighting.last_seen > removed_at:
        return "back: a sweep saw it again at the same URL"
    other = session.exec(
        select(SightingRow)
        .where(
            col(SightingRow.client_id) == sighting.client_id,
            col(SightingRow.id) != sighting.id,
            col(SightingRow.status) != "dismissed",
            or_(
                col(SightingRow.item_id) == sighting.item_id,
                col(SightingRow.sha256) == sighting.sha256,
            ),
            col(SightingRow.first_seen) > removed_at,
        )
        .order_by(col(SightingRow.first_seen), col(SightingRow.id))
        .limit(1)
    ).first()
    if other is None:
        return None
    return f"back: a sweep found the same picture at {other.image_url} (sighting {other.id})"


def _removal_note(session: Session, sighting_id: int, absent_checks: int) -> str:
    rows: Sequence[SightingCheckRow] = session.exec(
        select(SightingCheckRow)
        .where(
            col(SightingCheckRow.sighting_id) == sighting_id,
            col(SightingCheckRow.outcome) == "absent",
        )
        .order_by(col(SightingCheckRow.checked_at).desc(), col(SightingCheckRow.id).desc())
        .limit(absent_checks)
    ).all()
    labels = [_short_label(row) for row in reversed(rows)]
    return f"verified removed: {len(labels)} checks, {' then '.join(labels)}"


def _short_label(row: SightingCheckRow) -> str:
    if row.image_status is not None and row.image_status >= 300:
        return str(row.image_status)
    return (row.detail or row.outcome).split(";", 1)[0].removeprefix("image: ")


def _evidence_content(sighting: SightingRow, check: CheckRecord) -> dict[str, Any]:
    return {
        "outcome": check.outcome,
        "image_url": sighting.image_url,
        "page_url": sighting.page_url,
        "image_status": check.image_status,
        "page_status": check.page_status,
        "detail": check.detail[:2000],
        "sighting_status": sighting.status,
    }


def _check_record(row: SightingCheckRow) -> CheckRecord:
    return CheckRecord(
        checked_at=row.checked_at,
        outcome=row.outcome,
        image_status=row.image_status,
        page_status=row.page_status,
        detail=row.detail or "",
    )
