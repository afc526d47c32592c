"""Captures owed at first sight: fetch the page as WARC, screenshot it, seal both, record both.

A sighting is captured once; a capture that fails is recorded with its reason (a page that
vanished before the capture is itself worth knowing) and not retried.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from monitor.capture.files import write_sealed
from monitor.capture.screenshot import screenshot_page
from monitor.capture.seal import seal
from monitor.capture.settings import CaptureSettings
from monitor.capture.warc import page_warc
from monitor.errors import MonitorError
from monitor.fetch.client import Fetcher
from monitor.store.captures import CaptureOutcome, OwedCapture, owed_captures, record_captures
from monitor.store.database import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaptureClient:
    """A client whose sightings are captured, and the age key captures are sealed to."""

    client_id: str
    age_recipient: str


@dataclass(frozen=True)
class CaptureSummary:
    sightings: int
    made: int
    failed: int


async def capture_owed(
    *,
    db: Database,
    settings: CaptureSettings,
    clients: Sequence[CaptureClient],
    fetcher: Fetcher,
    now: datetime,
) -> CaptureSummary:
    recipients = {client.client_id: client.age_recipient for client in clients}
    owed = owed_captures(db, client_ids=list(recipients), since=now - settings.within)
    made = failed = 0
    for one in owed:
        outcomes = []
        if settings.warc:
            outcomes.append(await _warc(one, settings, fetcher, recipients[one.client_id]))
        if settings.screenshot:
            outcomes.append(
                await _screenshot(one, settings, fetcher, recipients[one.client_id], now)
            )
        record_captures(db, owed=one, at=now, outcomes=outcomes)
        made += sum(1 for outcome in outcomes if outcome.error is None)
        failed += sum(1 for outcome in outcomes if outcome.error is not None)
    return CaptureSummary(sightings=len(owed), made=made, failed=failed)


async def _warc(
    owed: OwedCapture, settings: CaptureSettings, fetcher: Fetcher, recipient: str
) -> CaptureOutcome:
    try:
        result = await fetcher.fetch_page(owed.page_url)
    except MonitorError as error:
        return _failed("warc", str(error))
    record = page_warc(result, user_agent=fetcher.settings.user_agent)
    return _sealed("warc", "warc.gz", record, owed, settings, recipient, result.fetched_at)


async def _screenshot(
    owed: OwedCapture,
    settings: CaptureSettings,
    fetcher: Fetcher,
    recipient: str,
    now: datetime,
) -> CaptureOutcome:
    try:
        png = await screenshot_page(
            owed.page_url,
            settings=settings,
            allow_private=fetcher.settings.allow_private_addresses,
            taken_at=now,
        )
    except MonitorError as error:
        return _failed("screenshot", str(error))
    return _sealed("screenshot", "png", png, owed, settings, recipient, now)


def _sealed(
    kind: str,
    extension: str,
    plaintext: bytes,
    owed: OwedCapture,
    settings: CaptureSettings,
    recipient: str,
    at: datetime,
) -> CaptureOutcome:
    sealed = seal(plaintext, recipient=recipient)
    try:
        path = write_sealed(
            settings.directory,
            client_id=owed.client_id,
            sighting_id=owed.sighting_id,
            kind=kind,
            extension=extension,
            sealed=sealed,
            at=at,
        )
    except OSError as error:
        return _failed(kind, f"cannot write to {settings.directory}: {error.strerror}")
    log.info("captured %s of sighting %s", kind, owed.sighting_id)
    return CaptureOutcome(
        kind=kind,
        path=path,
        plaintext_sha256=hashlib.sha256(plaintext).hexdigest(),
        encrypted_sha256=hashlib.sha256(sealed).hexdigest(),
        size=len(sealed),
        error=None,
    )


def _failed(kind: str, reason: str) -> CaptureOutcome:
    log.warning("capture (%s) failed: %s", kind, reason)
    return CaptureOutcome(
        kind=kind,
        path=None,
        plaintext_sha256=None,
        encrypted_sha256=None,
        size=None,
        error=reason[:2000],
    )
