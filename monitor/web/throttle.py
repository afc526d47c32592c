"""Sign-in rate limits: a few failures per account name and more per address, then a pause.

Kept in memory per process (a restart forgets); with several dashboard processes each counts
its own. Failures are counted for names that do not exist too, so a pause reveals nothing.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock
from typing import Final

MAX_TRACKED_KEYS: Final = 10_000


@dataclass(frozen=True)
class ThrottleLimits:
    per_name: int = 5
    per_address: int = 30
    window: timedelta = timedelta(minutes=15)


class LoginThrottle:
    def __init__(self, limits: ThrottleLimits | None = None) -> None:
        self.limits = limits or ThrottleLimits()
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = Lock()

    def allows(self, *, username: str, address: str, now: datetime) -> bool:
        with self._lock:
            return self._recent(f"n:{username.lower()}", now) < self.limits.per_name and (
                self._recent(f"a:{address}", now) < self.limits.per_address
            )

    def record_failure(self, *, username: str, address: str, now: datetime) -> None:
        with self._lock:
            if len(self._failures) >= MAX_TRACKED_KEYS:
                self._forget_oldest()
            for key in (f"n:{username.lower()}", f"a:{address}"):
                self._failures.setdefault(key, deque()).append(now)

    def record_success(self, *, username: str) -> None:
        with self._lock:
            self._failures.pop(f"n:{username.lower()}", None)

    def _recent(self, key: str, now: datetime) -> int:
        times = self._failures.get(key)
        if times is None:
            return 0
        while times and now - times[0] > self.limits.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        return len(times)

    def _forget_oldest(self) -> None:
        oldest = sorted(self._failures, key=lambda key: self._failures[key][-1])
        for key in oldest[: MAX_TRACKED_KEYS // 10]:
            del self._failures[key]
