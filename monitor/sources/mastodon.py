"""A Mastodon source: media posts of hashtag and account timelines on one instance.

Reads `GET /api/v1/timelines/tag/:hashtag` and `GET /api/v1/accounts/:id/statuses` (the ID
from `GET /api/v1/accounts/lookup?acct=`) with `only_media=true`. Each timeline keeps the newest
status it has seen as its checkpoint (`since_id`); a sweep pages back through the `Link`
header's `rel="next"` (`max_id`) until nothing newer is left or `max_pages` is read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote

from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from monitor.durations import Duration
from monitor.errors import FetchError
from monitor.fetch.client import ApiResponse, Fetcher
from monitor.sources.api_pacing import (
    ApiPacer,
    Clock,
    Quota,
    RateLimitReached,
    Sleep,
    asyncio_sleep,
    finite_number,
    utc_now,
)
from monitor.sources.base import Candidate, ConfiguredSource, SourceContext
from monitor.sources.fields import HttpUrlText, SourceConfigBase, SourceName
from monitor.sources.mastodon_statuses import (
    MastodonStatus,
    TimelineError,
    next_max_id,
    parse_statuses,
    status_order,
)

logger = logging.getLogger(__name__)

_ID = re.compile(r"[0-9]{1,24}")  # status and account IDs: integers sent as strings
_HASHTAG = re.compile(r"\w[\w·\u200c]{0,99}")
_ACCOUNT = re.compile(r"[A-Za-z0-9_]{1,30}(?:@[A-Za-z0-9.-]{1,253})?")
_HOW_TO_GET_A_KEY = (
    "create an access token on the instance (Preferences > Development > New application, "
    'scope read:statuses) and set access_token = "${MASTODON_ACCESS_TOKEN}"'
)


class MastodonSourceConfig(SourceConfigBase):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["mastodon"]
    name: SourceName
    instance: HttpUrlText = Field(
        description='The instance\'s address, e.g. "https://mastodon.social".'
    )
    hashtags: list[str] = Field(default_factory=list, description="Hashtags, with or without #.")
    accounts: list[str] = Field(
        default_factory=list, description='Accounts as "name" (local) or "name@other.instance".'
    )
    access_token: SecretStr | None = Field(
        default=None, description='Optional; write "${MASTODON_ACCESS_TOKEN}".'
    )
    every: Duration = timedelta(minutes=30)
    max_pages: int = Field(default=5, ge=1, le=25, description="Pages read per timeline and sweep.")
    page_size: int = Field(default=40, ge=1, le=40, description="Statuses per request (max 40).")
    max_wait: Duration = Field(
        default=timedelta(seconds=60),
        description="Longest wait for the rate limit; a longer one ends the sweep early.",
    )

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, tags: list[str]) -> list[str]:
        names = []
        for tag in tags:
            name = tag.strip().removeprefix("#")
            if not _HASHTAG.fullmatch(name):
                raise ValueError(f'{tag!r} is not a hashtag; write it as in a post, e.g. "#art"')
            names.append(name)
        return list(dict.fromkeys(names))

    @field_validator("accounts")
    @classmethod
    def _accounts(cls, accounts: list[str]) -> list[str]:
        names = []
        for account in accounts:
            name = account.strip().removeprefix("@")
            if not _ACCOUNT.fullmatch(name):
                raise ValueError(
                    f'{account!r} is not an account; write "name" for an account of this '
                    'instance or "name@other.instance"'
                )
            names.append(name)
        return list(dict.fromkeys(names))

    @model_validator(mode="after")
    def _something_to_read(self) -> MastodonSourceConfig:
        if not self.hashtags and not self.accounts:
            raise ValueError('give hashtags = ["..."] or accounts = ["..."] (or both)')
        return self


def read_mastodon_quota(headers: Mapping[str, str], now: datetime) -> Quota | None:
    """X-RateLimit-Remaining (a count) and X-RateLimit-Reset (an ISO 8601 time)."""
    remaining = finite_number(headers.get("x-ratelimit-remaining"))
    try:
        resets_at = datetime.fromisoformat(headers.get("x-ratelimit-reset", "").strip()[:40])
    except ValueError:
        return None
    if remaining is None:
        return None
    if resets_at.tzinfo is None:
        resets_at = resets_at.replace(tzinfo=UTC)
    return Quota(remaining=remaining, resets_at=min(resets_at, now + timedelta(days=1)))


@dataclass(frozen=True)
class _Timeline:
    key: str  # "#tag" or "@account": names its checkpoint in the source's state
    hashtag: str | None = None
    account: str | None = None


class _TimelineSkipped(Exception):
    """A hashtag or account the instance does not know (any more): skipped with a log line."""


class _TimelineFailed(Exception):
    """One timeline could not be read this sweep (5xx, malformed JSON); the others go on."""


class MastodonSource(ConfiguredSource[MastodonSourceConfig]):
    """Yields the images of new media statuses, each with the status's page."""

    uses_context = True

    def __init__(
        self,
        config: MastodonSourceConfig,
        *,
        context: SourceContext,
        sleep: Sleep = asyncio_sleep,
        clock: Clock = utc_now,
    ) -> None:
        self._config = config
        self._state = context.state
        self._pacer = ApiPacer(
            api=f"mastodon source {config.name}",
            read_quota=read_mastodon_quota,
            max_wait=config.max_wait,
            sleep=sleep,
            clock=clock,
        )

    async def poll(self, fetcher: Fetcher) -> AsyncIterator[Candidate]:
        state = self._state.load(self.name)
        timelines = list(self._timelines())
        checkpoints = _known(state.get("timelines"), {timeline.key for timeline in timelines})
        account_ids = _known(state.get("account_ids"), set(self._config.accounts))
        failures: list[str] = []
        try:
            for timeline in timelines:
                try:
                    path = await self._timeline_path(fetcher, timeline, account_ids)
                    async for candidate in self._read_timeline(
                        fetcher, timeline, path, checkpoints
                    ):
                        yield candidate
                except _TimelineSkipped as skipped:
                    if timeline.account is not None:
                        account_ids.pop(timeline.account, None)
                    logger.warning(
                        "mastodon source %s: skipping %s: %s", self.name, timeline.key, skipped
                    )
                except _TimelineFailed as failure:
                    failures.append(f"{timeline.key}: {failure}")
                    logger.warning("mastodon source %s: %s: %s", self.name, timeline.key, failure)
                self._save(state, checkpoints, account_ids)
        except RateLimitReached as stop:
            logger.warning("mastodon source %s: %s; the rest is read next sweep", self.name, stop)
        self._save(state, checkpoints, account_ids)
        if failures:
            raise FetchError(self._config.instance, "; ".join(failures))

    def _timelines(self) -> Iterator[_Timeline]:
        for hashtag in self._config.hashtags:
            yield _Timeline(key=f"#{hashtag}", hashtag=hashtag)
        for account in self._config.accounts:
            yield _Timeline(key=f"@{account}", account=account)

    async def _timeline_path(
        self, fetcher: Fetcher, timeline: _Timeline, account_ids: dict[str, str]
    ) -> str:
        if timeline.hashtag is not None:
            return f"/api/v1/timelines/tag/{quote(timeline.hashtag, safe='')}"
        assert timeline.account is not None
        account_id = account_ids.get(timeline.account)
        if account_id is None:
            found = await self._get_json(
                fetcher, "/api/v1/accounts/lookup", {"acct": timeline.account}
            )
            looked_up = found.get("id") if isinstance(found, dict) else None
            if not isinstance(looked_up, str) or not _is_id(looked_up):
                raise _TimelineFailed("the account lookup gave no usable account id")
            account_ids[timeline.account] = account_id = looked_up
        return f"/api/v1/accounts/{account_id}/statuses"

    async def _read_timeline(
        self, fetcher: Fetcher, timeline: _Timeline, path: str, checkpoints: dict[str, str]
    ) -> AsyncIterator[Candidate]:
        known = checkpoints.get(timeline.key)
        known_order = status_order(known) if known is not None else None
        newest: MastodonStatus | None = None
        params = {"only_media": "true", "limit": str(self._config.page_size)}
        if known is not None:
            params["since_id"] = known
        for _page in range(self._config.max_pages):
            statuses, entries, link = await self._get_page(fetcher, path, params)
            for status in statuses:
                if known_order is not None and status.order <= known_order:
                    continue  # an instance that ignores since_id
                if newest is None or status.order > newest.order:
                    newest = status
                for image_url in status.image_urls:
                    yield Candidate(
                        url=image_url, kind="image", source=self.name, page_url=status.page_url
                    )
            older = next_max_id(link)
            if entries < self._config.page_size or older is None or not _older(older, params):
                break
            params = params | {"max_id": older}
        else:
            if known is not None:
                logger.info(
                    "mastodon source %s: %s has more than %d pages of new statuses; older "
                    "ones are skipped (raise max_pages or sweep more often)",
                    self.name,
                    timeline.key,
                    self._config.max_pages,
                )
        if newest is not None:
            checkpoints[timeline.key] = newest.id

    async def _get_page(
        self, fetcher: Fetcher, path: str, params: dict[str, str]
    ) -> tuple[list[MastodonStatus], int, str | None]:
        """One page: its usable statuses, how many entries it had, and its Link header."""
        response = await self._call(fetcher, path, params)
        payload = _json(response)
        try:
            statuses = parse_statuses(payload)
        except TimelineError as error:
            raise _TimelineFailed(str(error)) from None
        return statuses, len(payload), response.headers.get("link")

    async def _get_json(self, fetcher: Fetcher, path: str, params: dict[str, str]) -> Any:
        return _json(await self._call(fetcher, path, params))

    async def _call(self, fetcher: Fetcher, path: str, params: dict[str, str]) -> ApiResponse:
        url = self._config.instance.rstrip("/") + path
        headers = {"accept": "application/json"}
        if self._config.access_token is not None:
            headers["authorization"] = f"Bearer {self._config.access_token.get_secret_value()}"
        response = await self._pacer.send(
            lambda: fetcher.call_api("GET", url, params=params, headers=headers)
        )
        status = response.status
        if status == 401:
            problem = "refused the access token" if self._config.access_token else "wants one"
            raise FetchError(url, f"the instance {problem} (HTTP 401); {_HOW_TO_GET_A_KEY}")
        if status in (403, 404, 410):
            raise _TimelineSkipped(f"HTTP {status}: the instance does not show it")
        if status != 200:
            raise _TimelineFailed(f"HTTP {status} from {url}")
        return response

    def _save(
        self, state: dict[str, Any], checkpoints: dict[str, str], account_ids: dict[str, str]
    ) -> None:
        state["timelines"] = dict(checkpoints)
        state["account_ids"] = dict(account_ids)
        if self._pacer.quota is not None:
            self._pacer.quota.record_in(state)
        self._state.save(self.name, state)


def _json(response: ApiResponse) -> Any:
    try:
        return response.json()
    except FetchError as error:
        raise _TimelineFailed(error.reason) from None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _older(max_id: str, params: dict[str, str]) -> bool:
    """Whether the next page's cursor moves back in time (a loop guard against odd servers)."""
    previous = params.get("max_id")
    return previous is None or status_order(max_id) < status_order(previous)


def _known(stored: Any, keys: set[str]) -> dict[str, str]:
    """The stored IDs of timelines or accounts still configured; anything unreadable dropped."""
    known: dict[str, str] = {}
    for key, value in stored.items() if isinstance(stored, dict) else ():
        if key in keys and _is_id(value):
            known[key] = value
    return known
