"""Rate-limit pacing: bounded waits, retries after 429, early stops, header parsing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from monitor.fetch.client import ApiResponse
from monitor.sources.api_pacing import (
    ApiPacer,
    Quota,
    RateLimitReached,
    finite_number,
    retry_after_seconds,
)

NOW = datetime(2024, 4, 19, 12, 0, tzinfo=UTC)


def response(status: int = 200, **headers: str) -> ApiResponse:
    return ApiResponse(
        url="https://api.example/x",
        status=status,
        headers={name.replace("_", "-"): value for name, value in headers.items()},
        body=b"{}",
        fetched_at=NOW,
    )


def read_quota(headers: Mapping[str, str], now: datetime) -> Quota | None:
    remaining = finite_number(headers.get("remaining"))
    reset = finite_number(headers.get("reset"))
    if remaining is None or reset is None:
        return None
    return Quota(remaining=remaining, resets_at=now + timedelta(seconds=reset))


class Replies:
    def __init__(self, *replies: ApiResponse) -> None:
        self.replies = list(replies)
        self.calls = 0

    async def __call__(self) -> ApiResponse:
        self.calls += 1
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


def pacer(waits: list[float], *, max_wait: float = 60) -> ApiPacer:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return ApiPacer(
        api="test api",
        read_quota=read_quota,
        max_wait=timedelta(seconds=max_wait),
        sleep=sleep,
        clock=lambda: NOW,
    )


async def test_a_429_is_retried_once_after_its_retry_after() -> None:
    waits: list[float] = []
    replies = Replies(response(429, retry_after="5"), response(200))
    assert (await pacer(waits).send(replies)).status == 200
    assert waits == [5.0]
    assert replies.calls == 2


async def test_a_second_429_ends_the_sweep() -> None:
    waits: list[float] = []
    replies = Replies(response(429, retry_after="5"))
    with pytest.raises(RateLimitReached, match="resets in about 5s"):
        await pacer(waits).send(replies)
    assert replies.calls == 2


async def test_a_429_without_retry_after_waits_for_the_quota_reset() -> None:
    waits: list[float] = []
    replies = Replies(response(429, remaining="0", reset="20"), response(200))
    await pacer(waits).send(replies)
    assert waits == [20.0]


async def test_a_429_that_says_nothing_backs_off_a_minute() -> None:
    waits: list[float] = []
    with pytest.raises(RateLimitReached):
        await pacer(waits, max_wait=30).send(Replies(response(429)))
    assert waits == []


async def test_a_spent_budget_is_waited_out_only_when_short_enough() -> None:
    waits: list[float] = []
    paced = pacer(waits)
    await paced.send(Replies(response(200, remaining="0.0", reset="30")))
    await paced.send(Replies(response(200, remaining="599.0", reset="600")))
    assert waits == [30.0]
    assert paced.quota == Quota(remaining=599.0, resets_at=NOW + timedelta(seconds=600))

    slow = pacer(waits)
    await slow.send(Replies(response(200, remaining="0", reset="3600")))
    with pytest.raises(RateLimitReached):
        await slow.send(Replies(response(200)))


def test_quota_is_recorded_for_monitor_sources() -> None:
    state: dict[str, object] = {"listings": {}}
    Quota(remaining=596.7, resets_at=NOW).record_in(state)
    assert state == {
        "listings": {},
        "quota_left": 596,
        "quota_resets_at": "2024-04-19T12:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("Fri, 19 Apr 2024 12:01:30 GMT", 90.0),
        ("Fri, 19 Apr 2024 11:00:00 GMT", 0.0),
        ("-5", None),
        ("1e9", None),
        ("soon", None),
        ("", None),
        ("9" * 40, None),
    ],
)
def test_retry_after_as_seconds_or_date(value: str, seconds: float | None) -> None:
    assert retry_after_seconds({"retry-after": value}, now=NOW) == seconds


@pytest.mark.parametrize(
    ("text", "number"),
    [("596.0", 596.0), (" 3 ", 3.0), ("nan", None), ("inf", None), ("-1", None), (None, None)],
)
def test_finite_number(text: str | None, number: float | None) -> None:
    assert finite_number(text) == number
