"""Helpers the search API source tests share: fetch settings for loopback, a settable clock,
a sleep that only records, and a monitor with one enrolled client."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.config import Settings
from monitor.fetch.settings import FetchSettings
from monitor.fingerprint import fingerprint_enrolled
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item

START = datetime(2024, 5, 25, 8, 0, tzinfo=UTC)
CLIENT = "case-1"


def loopback_settings() -> FetchSettings:
    return FetchSettings(
        allow_private_addresses=True, per_host_delay=0, total_timeout=5, connect_timeout=2
    )


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def gallery_page(*image_urls: str) -> str:
    images = "".join(f'<img src="{url}" alt="">' for url in image_urls)
    return f"<!doctype html><html><body><h1>Gallery</h1>{images}</body></html>"


def monitor_settings(tmp_path: Path, notify_url: str, *, sources: list[dict[str, Any]]) -> Settings:
    """Loopback fetching, a SQLite file in `tmp_path`, one client alerted at `notify_url`."""
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'monitor.db'}"},
            "fetch": {
                "allow_private_addresses": True,
                "per_host_delay": 0,
                "per_host_concurrency": 8,
                "total_timeout": 5.0,
                "connect_timeout": 2.0,
            },
            "clients": [{"id": CLIENT, "notify": [notify_url]}],
            "sources": sources,
        }
    )


def enroll_original(db: Database, original: bytes) -> None:
    add_client(db, client_id=CLIENT)
    enroll_item(
        db,
        client_id=CLIENT,
        hashes=fingerprint_enrolled(original, max_pixels=10**8),
        sha256=hashlib.sha256(original).hexdigest(),
        origin="image",
    )
