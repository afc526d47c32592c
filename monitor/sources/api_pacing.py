"""Keeping to a web API's rate limit: wait a bounded time when the API asks for it, else stop.

A rate-limited sweep is not a failed one. When the budget is spent for longer than a source may
wait, `ApiPacer` raises `RateLimitReached`; the source catches it, keeps the candidates it has
already yielded, leaves unread listings at their old checkpoints and ends the sweep quietly.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from monitor.fetch.client import ApiResponse

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]
_SECONDS = re.compile(r"\d{1,9}")
_DEFAULT_BACKOFF = 60.0  # a 429 that says neither when to retry nor when the budget resets


def utc_now() -> datetime:
    return datetime.now(UTC)


async def asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Quota:
    """What an API said about its budget in its last response."""

    remaining: float
    resets_at: datetime

    def record_in(self, state: dict[str, Any]) -> None:
        """Keep it in the source's state: `monitor sources` shows `quota_left`."""
        state["quota_left"] = int(self.remaining)
        state["quota_resets_at"] = self.resets_at.isoformat()


ReadQuota = Callable[[Mapping[str, str], datetime], Quota | None]
"""Reads an API's own rate-limit headers (lower-case names) at a given time."""


class RateLimitReached(Exception):
    """The API's budget is spent for longer than the source may wait: end this sweep early."""

    def __init__(self, api: str, seconds: float) -> None:
        super().__init__(f"{api} rate limit reached; it resets in about {seconds:.0f}s")
        self.seconds = seconds


def finite_number(text: str | None) -> float | None:
    """A header's number, or None when it is missing, not a number, infinite or negative."""
    if text is None:
        return None
    try:
        number = float(text.strip()[:32])
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def retry_after_seconds(headers: Mapping[str, str], *, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`: delay-seconds or an HTTP date (RFC 9110 10.2.3)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if _SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class ApiPacer:
    """Sends one API's requests one after another, within its budget.

    Before a request, a spent budget (remaining < 1) is waited out if it resets within
    `max_wait`; a 429 is retried once after its Retry-After if that is within `max_wait`.
    Otherwise `RateLimitReached` is raised.
    """

    def __init__(
        self,
        *,
        api: str,
        read_quota: ReadQuota,
        max_wait: timedelta,
        sleep: Sleep = asyncio_sleep,
        clock: Clock = utc_now,
    ) -> None:
        self._api = api
        self._read_quota = read_quota
        self._max_wait = max_wait.total_seconds()
        self._sleep = sleep
        self._clock = clock
        self._quota: Quota | None = None

    @property
    def quota(self) -> Quota | None:
        return self._quota

    async def send(self, request: Callable[[], Awaitable[ApiResponse]]) -> ApiResponse:
        await self._wait_for_budget()
        response = await request()
        self._note(response)
        if response.status != 429:
            return response
        await self._wait(self._backoff(response), reason="HTTP 429")
        response = await request()
        self._note(response)
        if response.status == 429:
            raise RateLimitReached(self._api, self._backoff(response))
        return response

    async def _wait_for_budget(self) -> None:
        quota = self._quota
        if quota is None or quota.remaining >= 1:
            return
        seconds = (quota.resets_at - self._clock()).total_seconds()
        if seconds > 0:
            await self._wait(seconds, reason="no requests left in this period")

    async def _wait(self, seconds: float, *, reason: str) -> None:
        if seconds > self._max_wait:
            raise RateLimitReached(self._api, seconds)
        logger.info("%s: %s; waiting %.1fs", self._api, reason, seconds)
        await self._sleep(seconds)

    def _note(self, response: ApiResponse) -> None:
        quota = self._read_quota(response.headers, self._clock())
        if quota is not None:
            self._quota = quota

    def _backoff(self, response: ApiResponse) -> float:
        now = self._clock()
        seconds = retry_after_seconds(response.headers, now=now)
        if seconds is None and self._quota is not None:
            seconds = (self._quota.resets_at - now).total_seconds()
        return max(0.0, seconds) if seconds is not None else _DEFAULT_BACKOFF
