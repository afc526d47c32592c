"""The database tables. Only `monitor.store` imports this module; the rest sees `records`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.store.columns import UtcDateTime


def _time(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UtcDateTime(), nullable=nullable, index=index))


def _json() -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True))


class ClientRow(SQLModel, table=True):
    __tablename__ = "client"

    id: str = Field(primary_key=True, max_length=63)
    created_at: datetime = _time()
    notify_urls: list[str] | None = _json()


class ItemRow(SQLModel, table=True):
    """One enrolled image (or imported fingerprint set). Holds no pixels and no file name."""

    __tablename__ = "item"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    created_at: datetime = _time()
    origin: str  # "image" or "import"
    sha256: str | None = Field(default=None, index=True, max_length=64)
    # SHA-256 over the item's sorted hashes: finds an imported item again when it has no sha256.
    fingerprint_digest: str = Field(index=True, max_length=64)
    label: str | None = Field(default=None, max_length=500)


class ItemHashRow(SQLModel, table=True):
    __tablename__ = "item_hash"

    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    algorithm: str = Field(max_length=16)
    variant: str = Field(max_length=32)
    hex: str = Field(max_length=128)


class SightingRow(SQLModel, table=True):
    """Evidence: one enrolled item seen at one image URL, for one client."""

    __tablename__ = "sighting"
    __table_args__ = (UniqueConstraint("client_id", "item_id", "image_url"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    image_url: str
    page_url: str
    final_url: str
    source: str
    first_seen: datetime = _time(index=True)
    last_seen: datetime = _time()
    times_seen: int = 1
    distance: int
    algorithm: str = Field(max_length=32)
    sha256: str = Field(max_length=64)
    http_status: int
    headers: dict[str, str] | None = _json()
    status: str = Field(default="new", max_length=32)
    takedown_url: str


class OutboxRow(SQLModel, table=True):
    """An alert owed for one sighting; written in the same transaction as the sighting."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    sighting_id: int = Field(foreign_key="sighting.id", unique=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    created_at: datetime = _time()
    next_attempt_at: datetime = _time()
    claimed_until: datetime | None = _time(nullable=True)
    delivered_at: datetime | None = _time(nullable=True)
    attempts: int = 0
    delivered_targets: list[str] | None = _json()
    last_error: str | None = None


class ImageDigestRow(SQLModel, table=True):
    """Fingerprints of fetched bytes by SHA-256, so the same bytes are never decoded twice."""

    __tablename__ = "image_digest"

    sha256: str = Field(primary_key=True, max_length=64)
    first_fetched: datetime = _time()
    hashes: list[list[str]] | None = _json()  # [[algorithm, variant, hex], ...]
    error: str | None = None


class UrlStateRow(SQLModel, table=True):
    """What we last learned about one URL: validators for conditional GET, extraction, errors."""

    __tablename__ = "url_state"

    url: str = Field(primary_key=True)
    kind: str = Field(max_length=8)
    checked_at: datetime = _time()
    etag: str | None = None
    last_modified: str | None = None
    images: list[str] | None = _json()
    links: list[str] | None = _json()
    sha256: str | None = Field(default=None, max_length=64)
    last_error: str | None = None
    last_error_at: datetime | None = _time(nullable=True)
    error_count: int = 0


class SweepRow(SQLModel, table=True):
    """One sweep of one source: when, how long, what it found, why it failed."""

    __tablename__ = "sweep"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True, max_length=63)
    started_at: datetime = _time()
    finished_at: datetime | None = _time(nullable=True)
    candidates: int = 0
    new_candidates: int = 0  # never looked at before: no url_state row when the source yielded it
    pages: int = 0
    images: int = 0
    new_sightings: int = 0
    failures: int = 0
    error: str | None = None


class SourceStateRow(SQLModel, table=True):
    """A source's checkpoint (cursor, lastmod, seed schedule, quota), one JSON object each."""

    __tablename__ = "source_state"

    source: str = Field(primary_key=True, max_length=63)
    updated_at: datetime = _time()
    state: dict[str, Any] | None = _json()


class SourceOutageRow(SQLModel, table=True):
    """A source failing `operator.failures_before_alert` sweeps in a row: the operator is owed
    one alert that it fails and, once a sweep succeeds again, one that it recovered."""

    __tablename__ = "source_outage"

    source: str = Field(primary_key=True, max_length=63)
    first_failed_sweep: int  # the sweep.id that began the outage: identifies it
    failing_since: datetime = _time()
    error: str
    failure_alerted_at: datetime | None = _time(nullable=True)
    recovered_at: datetime | None = _time(nullable=True)
    # Operator URLs (by `target_id`) that took the message now owed, so a retry skips them.
    delivered_targets: list[str] | None = _json()


class SightingEventRow(SQLModel, table=True):
    """One step in a sighting's review history: who decided what, when, and why."""

    __tablename__ = "sighting_event"

    id: int | None = Field(default=None, primary_key=True)
    sighting_id: int = Field(foreign_key="sighting.id", index=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    at: datetime = _time()
    from_status: str = Field(max_length=32)
    to_status: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=2000)
    reported_to: str | None = Field(default=None, max_length=500)
    route: str | None = Field(default=None, max_length=200)


class EvidenceEntryRow(SQLModel, table=True):
    """One entry of a client's tamper-evident evidence log.

    `content` is the entry's canonical JSON text (sorted keys, no spaces) exactly as hashed;
    `entry_sha256` = SHA-256 over the previous entry's hash and this content, so changing,
    deleting or re-ordering any row breaks the chain from there on.
    """

    __tablename__ = "evidence_entry"
    __table_args__ = (UniqueConstraint("client_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    seq: int  # 1, 2, 3... per client
    at: datetime = _time()
    kind: str = Field(max_length=32)  # first_seen, seen_again, recheck, status, takedown, capture
    sighting_id: int | None = Field(default=None, foreign_key="sighting.id", index=True)
    content: str
    prev_sha256: str = Field(max_length=64)
    entry_sha256: str = Field(max_length=64)


class SightingCheckRow(SQLModel, table=True):
    """One re-check of a confirmed or reported sighting: is the image still served?"""

    __tablename__ = "sighting_check"

    id: int | None = Field(default=None, primary_key=True)
    sighting_id: int = Field(foreign_key="sighting.id", index=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    checked_at: datetime = _time()
    # "present" (a matching image is still served), "absent" (404/410, host gone, image
    # replaced, page no longer shows it) or "inconclusive" (timeout, 5xx: says nothing).
    outcome: str = Field(max_length=16)
    image_status: int | None = None
    page_status: int | None = None
    detail: str | None = Field(default=None, max_length=2000)


class SightingFollowUpRow(SQLModel, table=True):
    """Re-check bookkeeping of one sighting (kept apart from the evidence row itself)."""

    __tablename__ = "sighting_follow_up"

    sighting_id: int = Field(foreign_key="sighting.id", primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    next_check_at: datetime = _time(index=True)
    last_checked_at: datetime | None = _time(nullable=True)
    absent_in_a_row: int = 0
    removed_at: datetime | None = _time(nullable=True)
    reappeared_at: datetime | None = _time(nullable=True)
    claimed_until: datetime | None = _time(nullable=True)


class FollowUpAlertRow(SQLModel, table=True):
    """An alert owed because the machine verified a sighting removed or saw it come back.

    One row per status change (`event_id` is unique), so a sighting removed, back and removed
    again owes three alerts, and each is delivered once. Claimed and retried like `outbox`.
    """

    __tablename__ = "follow_up_alert"
    __table_args__ = (Index("ix_follow_up_alert_pending", "delivered_at", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="sighting_event.id", unique=True)
    sighting_id: int = Field(foreign_key="sighting.id", index=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    kind: str = Field(max_length=16)  # "removed" or "reappeared"
    created_at: datetime = _time()
    next_attempt_at: datetime = _time()
    claimed_until: datetime | None = _time(nullable=True)
    delivered_at: datetime | None = _time(nullable=True)
    attempts: int = 0
    delivered_targets: list[str] | None = _json()
    last_error: str | None = None


class SuppressionRow(SQLModel, table=True):
    """An image a client's reviewer dismissed as a false positive: never alerted again for
    that client, whether it comes back with the same bytes or as a near copy."""

    __tablename__ = "suppression"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    sighting_id: int | None = Field(default=None, foreign_key="sighting.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="item.id")
    created_at: datetime = _time()
    sha256: str | None = Field(default=None, index=True, max_length=64)
    hashes: list[list[str]] | None = _json()  # [[algorithm, variant, hex], ...] of the image
    note: str | None = Field(default=None, max_length=2000)


class TakedownRow(SQLModel, table=True):
    """A takedown request prepared for one sighting: by which route, to whom, what it said."""

    __tablename__ = "takedown"

    id: int | None = Field(default=None, primary_key=True)
    sighting_id: int = Field(foreign_key="sighting.id", index=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    prepared_at: datetime = _time()
    route: str = Field(max_length=64)
    recipient: str = Field(max_length=1000)  # a form URL or an email address
    subject: str | None = Field(default=None, max_length=500)
    body: str | None = None
    body_sha256: str = Field(max_length=64)


class CaptureRow(SQLModel, table=True):
    """An encrypted capture (WARC or screenshot) of a page at first sight; the file is
    encrypted to the client's age key, so this server can write it but never read it."""

    __tablename__ = "capture"

    id: int | None = Field(default=None, primary_key=True)
    sighting_id: int = Field(foreign_key="sighting.id", index=True)
    client_id: str = Field(foreign_key="client.id", index=True)
    created_at: datetime = _time()
    kind: str = Field(max_length=16)  # "warc" or "screenshot"
    path: str | None = None  # relative to the captures directory; None when it failed
    plaintext_sha256: str | None = Field(default=None, max_length=64)
    encrypted_sha256: str | None = Field(default=None, max_length=64)
    size: int | None = None
    error: str | None = Field(default=None, max_length=2000)


class StaffUserRow(SQLModel, table=True):
    """A dashboard account: an admin sees every client, a reviewer only those assigned."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=100)
    password_hash: str = Field(max_length=500)
    role: str = Field(max_length=16)  # "admin" or "reviewer"
    created_at: datetime = _time()
    disabled: bool = False
    # Bumped on password change or sign-out everywhere: older session cookies stop working.
    session_generation: int = 0


class StaffClientRow(SQLModel, table=True):
    """Which clients a reviewer may see."""

    __tablename__ = "staff_client"

    user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    client_id: str = Field(foreign_key="client.id", primary_key=True)
