"""Plain, frozen values the store hands to the rest of the monitor (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Client:
    id: str
    created_at: datetime
    notify_urls: tuple[str, ...]


@dataclass(frozen=True)
class Observation:
    """One fetched image that matched one enrolled item: what a sighting is made of."""

    client_id: str
    item_id: int
    image_url: str
    page_url: str
    final_url: str
    source: str
    seen_at: datetime
    distance: int
    algorithm: str
    sha256: str
    http_status: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sighting:
    id: int
    client_id: str
    item_id: int
    image_url: str
    page_url: str
    final_url: str
    source: str
    first_seen: datetime
    last_seen: datetime
    times_seen: int
    distance: int
    algorithm: str
    sha256: str
    http_status: int
    headers: dict[str, str]
    status: str
    takedown_url: str


@dataclass(frozen=True)
class PendingAlert:
    """An outbox entry claimed for delivery, with the sighting it is about."""

    outbox_id: int
    client_id: str
    attempts: int
    delivered_targets: frozenset[str]
    sighting: Sighting


@dataclass(frozen=True)
class PageState:
    url: str
    etag: str | None
    last_modified: str | None
    images: tuple[str, ...]
    links: tuple[str, ...]


@dataclass(frozen=True)
class SweepSummary:
    source: str
    started_at: datetime
    finished_at: datetime | None
    candidates: int
    pages: int
    images: int
    new_sightings: int
    failures: int
    error: str | None
    # Distinct URLs the source yielded that the monitor had never looked at (no url_state row).
    new_candidates: int = 0

    @property
    def duration(self) -> timedelta | None:
        return None if self.finished_at is None else self.finished_at - self.started_at
