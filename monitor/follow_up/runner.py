"""One run of follow-through: re-check every due sighting, mark verified removals and returns.

Used by the daemon (a periodic job) and by `monitor recheck`. Each check is claimed in the
database first, so any number of processes can run this at once without checking a sighting
twice; one failing check is logged and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.fetch.client import Fetcher
from monitor.fingerprint import MatchSettings
from monitor.follow_up.check import CheckResult, Reference, SightingChecker
from monitor.follow_up.settings import FollowUpSettings
from monitor.store import Database
from monitor.store.follow_up import (
    CHECK_LEASE,
    CheckRecord,
    DueCheck,
    StatusDecision,
    claim_due_checks,
    find_reappearances,
    item_reference,
    record_check,
    release_claim,
    start_missing_follow_ups,
)
from monitor.store.review import ReviewError, change_status

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecheckReport:
    checked: int
    present: int
    absent: int
    inconclusive: int
    removed: tuple[int, ...]  # sighting IDs verified removed in this run
    reappeared: tuple[int, ...]  # sighting IDs seen back in this run
    failed: int = 0


class FollowThrough:
    def __init__(
        self,
        *,
        db: Database,
        fetcher: Fetcher,
        settings: FollowUpSettings,
        matching: MatchSettings,
        max_pixels: int,
        fetch_timeout: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        # Fetching the image, the page and up to `page_images` other images, plus polite waits.
        self._lease = CHECK_LEASE + timedelta(seconds=fetch_timeout * (2 + settings.page_images))
        self._checker = SightingChecker(
            fetcher=fetcher,
            matching=matching,
            max_pixels=max_pixels,
            page_images=settings.page_images,
        )

    async def run_due(self, *, client_id: str | None = None) -> RecheckReport:
        """Check every sighting that is due now (at most `follow_up.batch`)."""
        now = self._clock()
        start_missing_follow_ups(self._db, now=now)
        came_back = self._apply(find_reappearances(self._db, client_id=client_id))
        outcomes: list[tuple[CheckResult | None, StatusDecision | None]] = []
        changed: list[tuple[int, str]] = []
        # A few claims at a time, each leased for as long as one check can take, so a lease
        # never runs out while its check waits for a turn.
        while len(outcomes) < self._settings.batch:
            due = claim_due_checks(
                self._db,
                now=self._clock(),
                limit=min(self._settings.concurrency, self._settings.batch - len(outcomes)),
                client_id=client_id,
                lease=self._lease,
            )
            if not due:
                break
            batch = await asyncio.gather(*(self._check(one) for one in due))
            changed.extend(self._apply([decision for _, decision in batch if decision is not None]))
            outcomes.extend(batch)
        results = [result for result, _decision in outcomes if result is not None]
        return RecheckReport(
            checked=len(results),
            present=sum(1 for result in results if result.outcome == "present"),
            absent=sum(1 for result in results if result.outcome == "absent"),
            inconclusive=sum(1 for result in results if result.outcome == "inconclusive"),
            removed=tuple(sid for sid, status in changed if status == "removed"),
            reappeared=tuple(
                sid for sid, status in [*came_back, *changed] if status == "reappeared"
            ),
            failed=len(outcomes) - len(results),
        )

    async def _check(self, due: DueCheck) -> tuple[CheckResult | None, StatusDecision | None]:
        try:
            hashes, digests = item_reference(self._db, item_id=due.item_id)
            reference = Reference(
                client_id=due.client_id,
                item_id=due.item_id,
                hashes=hashes,
                sha256s=digests | {due.sha256},
            )
            result = await self._checker.check(
                image_url=due.image_url, page_url=due.page_url, reference=reference
            )
            checked_at = self._clock()
            decision = record_check(
                self._db,
                due=due,
                check=CheckRecord(
                    checked_at=checked_at,
                    outcome=result.outcome,
                    image_status=result.image.status,
                    page_status=result.page.status if result.page is not None else None,
                    detail=result.detail,
                ),
                next_check_at=checked_at + self._settings.every,
                checks_to_confirm_removal=self._settings.checks_to_confirm_removal,
            )
        except asyncio.CancelledError:
            release_claim(self._db, due=due)
            raise
        except Exception:
            # The claim is kept until its lease runs out: retried then, not again in this run.
            log.exception("re-check of sighting %d failed; it is retried later", due.sighting_id)
            return None, None
        log.info("re-check of sighting %d: %s (%s)", due.sighting_id, result.outcome, result.detail)
        return result, decision

    def _apply(self, decisions: Sequence[StatusDecision]) -> list[tuple[int, str]]:
        changed = []
        for decision in decisions:
            try:
                change_status(
                    self._db,
                    sighting_id=decision.sighting_id,
                    to_status=decision.to_status,
                    at=self._clock(),
                    note=decision.note,
                )
            except ReviewError as error:
                log.info(
                    "sighting %d not marked %s: %s", decision.sighting_id, decision.to_status, error
                )
                continue
            log.warning(
                "sighting %d is %s: %s", decision.sighting_id, decision.to_status, decision.note
            )
            changed.append((decision.sighting_id, decision.to_status))
        return changed
