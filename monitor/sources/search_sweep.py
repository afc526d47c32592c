"""Paid searches on a budget, shared by the `reverse` and `search` sources.

Each query (a seed image URL, a keyword query) is searched again per provider only after its
own interval; the searches an account has left are checked before its first search of a sweep
and respected; a rate limit slows the source down (a short Retry-After is waited out, a long
one ends this sweep's searches for that account) and never fails the sweep. The ledger is
saved after every search, so a crash never repeats a paid search.

The source's state (`SourceState`) holds:
  searched            {provider: {query: ISO time of its last search}}
  quota_left          {account: searches left, as the account last reported}
  rate_limited_until  {account: ISO time before which the account is not asked again}
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.sources.base import SourceState
from monitor.sources.search_api import (
    ApiKeyError,
    Found,
    QuotaExhaustedError,
    RateLimitedError,
    SearchRefusedError,
)

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
QuotaCheck = Callable[[Fetcher], Awaitable[int | None]]
T = TypeVar("T")
# How long an account rests after a 429 that did not say when to come back, and at most.
DEFAULT_RATE_LIMIT_REST = timedelta(minutes=15)
LONGEST_RATE_LIMIT_REST = timedelta(days=1)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class PlannedSearch:
    """One search a sweep may run. `provider` keys its schedule ("serpapi:google_lens"),
    `account` its quota and rate limit ("serpapi"); `query` is the seed URL or the words, and
    `label` how logs name the search (keyword queries may be a person's name: not logged)."""

    provider: str
    account: str
    query: str
    label: str
    run: Callable[[Fetcher], Awaitable[list[Found]]]


@dataclass(frozen=True)
class SearchBudget:
    every: timedelta  # before a query is searched again by the same provider
    max_searches: int  # per sweep, over all providers
    max_wait: float  # seconds a sweep may wait for a rate limit to pass


class SearchLedger:
    """The source's memory of its searches, kept in its `SourceState`."""

    def __init__(self, *, state: SourceState, source: str) -> None:
        self._state = state
        self._source = source
        loaded = state.load(source)
        self._searched = _nested_dict(loaded.get("searched"))
        self._quota_left = _dict(loaded.get("quota_left"))
        self._rate_limited_until = _dict(loaded.get("rate_limited_until"))
        self._other = {
            key: value
            for key, value in loaded.items()
            if key not in ("searched", "quota_left", "rate_limited_until")
        }

    def last_searched(self, provider: str, query: str) -> datetime | None:
        return _time(self._searched.get(provider, {}).get(query))

    def mark_searched(self, provider: str, query: str, *, at: datetime) -> None:
        self._searched.setdefault(provider, {})[query] = at.isoformat()

    def keep_only(self, queries: Mapping[str, set[str]]) -> None:
        """Forget queries no longer configured or seeded, so the state does not grow."""
        self._searched = {
            provider: {query: at for query, at in searched.items() if query in kept}
            for provider, searched in self._searched.items()
            if (kept := queries.get(provider))
        }

    def quota_left(self, account: str) -> int | None:
        value = self._quota_left.get(account)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def set_quota_left(self, account: str, left: int) -> None:
        self._quota_left[account] = max(0, left)

    def rate_limited_until(self, account: str) -> datetime | None:
        return _time(self._rate_limited_until.get(account))

    def set_rate_limited_until(self, account: str, until: datetime | None) -> None:
        if until is None:
            self._rate_limited_until.pop(account, None)
        else:
            self._rate_limited_until[account] = until.isoformat()

    def save(self) -> None:
        self._state.save(
            self._source,
            {
                **self._other,
                "searched": self._searched,
                "quota_left": self._quota_left,
                "rate_limited_until": self._rate_limited_until,
            },
        )


class _AccountResting(Exception):
    """The account is rate-limited or out of searches: no more of its searches this sweep."""


class SearchSweep:
    """Runs one sweep's due searches within the budget; yields what each search found.

    A refused key (`ApiKeyError`) fails the sweep at once. A search that fails otherwise (the
    API's 5xx, malformed JSON, a broken connection) is tried again next sweep; the sweep goes
    on, and at its end raises one `FetchError` saying how many failed, so the failure is
    recorded rather than passing for a quiet sweep.
    """

    def __init__(
        self,
        *,
        source: str,
        ledger: SearchLedger,
        budget: SearchBudget,
        quota_checks: Mapping[str, QuotaCheck],
        clock: Clock = utc_now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._source = source
        self._ledger = ledger
        self._budget = budget
        self._quota_checks = quota_checks
        self._clock = clock
        self._sleep = sleep

    async def run(
        self, fetcher: Fetcher, planned: Sequence[PlannedSearch]
    ) -> AsyncIterator[tuple[PlannedSearch, Found]]:
        due = [search for search in planned if self._is_due(search)]
        resting: set[str] = set()
        checked: set[str] = set()
        failures: list[FetchError] = []
        attempts = 0
        for index, search in enumerate(due):
            if search.account in resting:
                continue
            if attempts >= self._budget.max_searches:
                logger.info(
                    "source %s: %d searches are due; %d wait for the next sweep "
                    "(max_searches_per_sweep)",
                    self._source,
                    len(due),
                    len(due) - index,
                )
                break
            try:
                if search.account not in checked:
                    checked.add(search.account)
                    await self._check_account(fetcher, search.account)
                attempts += 1
                found = await self._call_within_limits(search.run, fetcher, search.account)
            except _AccountResting:
                resting.add(search.account)
                continue
            except SearchRefusedError as refused:
                logger.warning(
                    "source %s: %s refused %s: %s",
                    self._source,
                    search.provider,
                    search.label,
                    refused.reason,
                )
                self._record_search(search)
                continue
            except ApiKeyError:
                raise
            except FetchError as failure:
                logger.warning(
                    "source %s: %s search for %s failed (tried again next sweep): %s",
                    self._source,
                    search.provider,
                    search.label,
                    failure.reason,
                )
                failures.append(failure)
                continue
            self._record_search(search)
            for item in found:
                yield search, item
        if failures:
            first = failures[0]
            raise FetchError(
                first.url,
                f"{len(failures)} of {attempts} searches failed this sweep and are "
                f"tried again next sweep; the first: {first.reason}",
            )

    def _is_due(self, search: PlannedSearch) -> bool:
        last = self._ledger.last_searched(search.provider, search.query)
        return last is None or self._clock() - last >= self._budget.every

    def _record_search(self, search: PlannedSearch) -> None:
        self._ledger.mark_searched(search.provider, search.query, at=self._clock())
        left = self._ledger.quota_left(search.account)
        if left is not None:
            self._ledger.set_quota_left(search.account, left - 1)
        self._ledger.save()

    async def _check_account(self, fetcher: Fetcher, account: str) -> None:
        """Raise `_AccountResting` if the account is rate-limited or has no searches left."""
        until = self._ledger.rate_limited_until(account)
        if until is not None and until > self._clock():
            logger.info(
                "source %s: %s is rate-limited until %s; its searches wait",
                self._source,
                account,
                until.isoformat(),
            )
            raise _AccountResting
        self._ledger.set_rate_limited_until(account, None)
        check = self._quota_checks.get(account)
        if check is None:
            return
        try:
            left = await self._call_within_limits(check, fetcher, account)
        except ApiKeyError:
            raise
        except FetchError as failure:
            logger.warning(
                "source %s: could not ask %s how many searches are left: %s",
                self._source,
                account,
                failure.reason,
            )
            left = self._ledger.quota_left(account)
        else:
            if left is not None:
                self._ledger.set_quota_left(account, left)
                self._ledger.save()
        if left is not None and left <= 0:
            logger.warning(
                "source %s: %s has no searches left; none are made until it has",
                self._source,
                account,
            )
            raise _AccountResting

    async def _call_within_limits(
        self, call: Callable[[Fetcher], Awaitable[T]], fetcher: Fetcher, account: str
    ) -> T:
        """`call`, once more after a rate limit short enough to wait out; else the account
        rests (until its Retry-After) and `_AccountResting` is raised. A spent quota makes
        it rest too."""
        for attempt in (1, 2):
            try:
                return await call(fetcher)
            except QuotaExhaustedError as exhausted:
                logger.warning("source %s: %s", self._source, exhausted.reason)
                self._ledger.set_quota_left(account, 0)
                self._ledger.save()
                raise _AccountResting from None
            except RateLimitedError as limited:
                wait = limited.retry_after
                if attempt == 1 and wait is not None and wait <= self._budget.max_wait:
                    logger.info("source %s: %s asks to wait %.1fs", self._source, account, wait)
                    await self._sleep(wait)
                    continue
                rest = (
                    min(timedelta(seconds=wait), LONGEST_RATE_LIMIT_REST)
                    if wait is not None
                    else DEFAULT_RATE_LIMIT_REST
                )
                until = self._clock() + rest
                logger.warning(
                    "source %s: %s is rate-limited (%s); its searches wait until %s",
                    self._source,
                    account,
                    limited.reason,
                    until.isoformat(),
                )
                self._ledger.set_rate_limited_until(account, until)
                self._ledger.save()
                raise _AccountResting from None
        raise AssertionError("unreachable: the second attempt returns or raises")


def _dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _nested_dict(value: object) -> dict[str, dict[str, Any]]:
    return {key: dict(inner) for key, inner in _dict(value).items() if isinstance(inner, dict)}


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
