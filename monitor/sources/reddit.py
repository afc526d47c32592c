"""A Reddit source: new posts of subreddits and of search queries, through Reddit's OAuth API.

Application-only OAuth: the app's client ID and secret buy a bearer token
(`POST /api/v1/access_token`, grant_type=client_credentials), which reads listings on
oauth.reddit.com. Each listing keeps the newest post it has seen as its checkpoint; a sweep
walks back page by page (`after`) until it meets that post or `max_pages` is read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

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
from monitor.sources.reddit_auth import CREDENTIALS_HINT, RedditAppToken
from monitor.sources.reddit_posts import ListingError, RedditPost, parse_listing, post_order

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "python:reupload-monitor:v0.1 (self-hosted image re-upload monitor)"
_SUBREDDIT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]{1,20}")
_PAGE_SIZE = "100"  # the most Reddit returns per listing page


def _subreddit_name(value: str) -> str:
    name = value.strip().removeprefix("/").removeprefix("r/")
    if not _SUBREDDIT.fullmatch(name):
        raise ValueError(
            f"{value!r} is not a subreddit name; write it as in the address, e.g. "
            '"pics" for reddit.com/r/pics'
        )
    return name


class RedditSourceConfig(SourceConfigBase):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["reddit"]
    name: SourceName
    client_id: str = Field(min_length=1, max_length=100)
    client_secret: SecretStr = Field(description='Write "${REDDIT_CLIENT_SECRET}".')
    user_agent: str = Field(
        default=DEFAULT_USER_AGENT,
        min_length=1,
        max_length=256,
        description='Reddit asks for "<platform>:<app ID>:<version> (by /u/<username>)".',
    )
    subreddits: list[str] = Field(default_factory=list, description="Names without r/.")
    search: list[str] = Field(default_factory=list, description="Search queries, newest first.")
    search_in: list[str] = Field(
        default_factory=list, description="Subreddits to restrict searches to; empty: all."
    )
    every: Duration = timedelta(minutes=30)
    endpoint: HttpUrlText = "https://oauth.reddit.com"
    auth_endpoint: HttpUrlText = "https://www.reddit.com"
    max_pages: int = Field(default=5, ge=1, le=10, description="Pages of 100 posts per listing.")
    max_wait: Duration = Field(
        default=timedelta(seconds=60),
        description="Longest wait for the rate limit; a longer one ends the sweep early.",
    )

    @field_validator("subreddits", "search_in")
    @classmethod
    def _subreddits(cls, names: list[str]) -> list[str]:
        return list(dict.fromkeys(_subreddit_name(name) for name in names))

    @field_validator("search")
    @classmethod
    def _queries(cls, queries: list[str]) -> list[str]:
        for query in queries:
            if not query.strip() or len(query) > 512 or not query.isprintable():
                raise ValueError(f"{query!r} is not a usable search query (1-512 printable chars)")
        return list(dict.fromkeys(query.strip() for query in queries))

    @field_validator("client_secret")
    @classmethod
    def _secret(cls, secret: SecretStr) -> SecretStr:
        if not secret.get_secret_value().strip():
            raise ValueError('is empty; write client_secret = "${REDDIT_CLIENT_SECRET}"')
        return secret

    @field_validator("user_agent")
    @classmethod
    def _user_agent(cls, value: str) -> str:
        if not value.isascii() or not value.isprintable():
            raise ValueError("must be printable ASCII text")
        return value

    @model_validator(mode="after")
    def _something_to_read(self) -> RedditSourceConfig:
        if not self.subreddits and not self.search:
            raise ValueError('give subreddits = ["..."] or search = ["..."] (or both)')
        return self


def read_reddit_quota(headers: Mapping[str, str], now: datetime) -> Quota | None:
    """X-Ratelimit-Remaining (a float, e.g. "596.0") and -Reset (seconds to the period's end)."""
    remaining = finite_number(headers.get("x-ratelimit-remaining"))
    reset = finite_number(headers.get("x-ratelimit-reset"))
    if remaining is None or reset is None:
        return None
    return Quota(remaining=remaining, resets_at=now + timedelta(seconds=min(reset, 86400.0)))


@dataclass(frozen=True)
class _Listing:
    key: str  # names its checkpoint in the source's state
    path: str
    params: dict[str, str]


class _ListingSkipped(Exception):
    """A subreddit that is private, banned, quarantined or gone: skipped with a log line."""


class _ListingFailed(Exception):
    """One listing could not be read this sweep (5xx, malformed JSON); the others go on."""


class RedditSource(ConfiguredSource[RedditSourceConfig]):
    """Yields the images of new posts (direct, gallery and preview images, page = the post)
    and the outside pages posts link to."""

    uses_context = True

    def __init__(
        self,
        config: RedditSourceConfig,
        *,
        context: SourceContext,
        sleep: Sleep = asyncio_sleep,
        clock: Clock = utc_now,
    ) -> None:
        self._config = config
        self._state = context.state
        self._pacer = ApiPacer(
            api=f"reddit source {config.name}",
            read_quota=read_reddit_quota,
            max_wait=config.max_wait,
            sleep=sleep,
            clock=clock,
        )
        self._token = RedditAppToken(
            auth_endpoint=config.auth_endpoint,
            client_id=config.client_id,
            client_secret=config.client_secret,
            user_agent=config.user_agent,
            pacer=self._pacer,
            clock=clock,
        )

    async def poll(self, fetcher: Fetcher) -> AsyncIterator[Candidate]:
        state = self._state.load(self.name)
        listings = list(self._listings())
        checkpoints = _load_checkpoints(state, keys={listing.key for listing in listings})
        failures: list[str] = []
        try:
            for listing in listings:
                try:
                    async for candidate in self._read_listing(fetcher, listing, checkpoints):
                        yield candidate
                except _ListingSkipped as skipped:
                    logger.warning(
                        "reddit source %s: skipping %s: %s", self.name, listing.key, skipped
                    )
                except _ListingFailed as failure:
                    failures.append(f"{listing.key}: {failure}")
                    logger.warning("reddit source %s: %s: %s", self.name, listing.key, failure)
                self._save(state, checkpoints)
        except RateLimitReached as stop:
            logger.warning("reddit source %s: %s; the rest is read next sweep", self.name, stop)
        self._save(state, checkpoints)
        if failures:
            raise FetchError(self._config.endpoint, "; ".join(failures))

    def _listings(self) -> Iterator[_Listing]:
        for subreddit in self._config.subreddits:
            yield _Listing(key=f"r/{subreddit}/new", path=f"/r/{subreddit}/new", params={})
        scope = "+".join(self._config.search_in)
        for query in self._config.search:
            params = {"q": query, "sort": "new", "type": "link", "include_over_18": "on"}
            if scope:
                yield _Listing(
                    key=f"search r/{scope}: {query}",
                    path=f"/r/{scope}/search",
                    params=params | {"restrict_sr": "true"},
                )
            else:
                yield _Listing(key=f"search: {query}", path="/search", params=params)

    async def _read_listing(
        self, fetcher: Fetcher, listing: _Listing, checkpoints: dict[str, str]
    ) -> AsyncIterator[Candidate]:
        known = checkpoints.get(listing.key)
        known_order = post_order(known) if known is not None else None
        newest: RedditPost | None = None
        after: str | None = None
        for _page in range(self._config.max_pages):
            params = listing.params | {"limit": _PAGE_SIZE}
            if after is not None:
                params["after"] = after
            try:
                page = parse_listing(await self._get_json(fetcher, listing.path, params))
            except ListingError as error:
                raise _ListingFailed(str(error)) from None
            reached_known = False
            for post in page.posts:
                if known_order is not None and post.order <= known_order:
                    reached_known = True
                    continue
                if newest is None or post.order > newest.order:
                    newest = post
                for candidate in self._candidates(post):
                    yield candidate
            if reached_known or page.after is None or page.after == after:
                break
            after = page.after
        else:
            if known is not None:
                logger.info(
                    "reddit source %s: %s has more than %d pages of new posts; older ones "
                    "are skipped (raise max_pages or sweep more often)",
                    self.name,
                    listing.key,
                    self._config.max_pages,
                )
        if newest is not None:
            checkpoints[listing.key] = newest.name

    def _candidates(self, post: RedditPost) -> Iterator[Candidate]:
        for image_url in post.image_urls:
            yield Candidate(url=image_url, kind="image", source=self.name, page_url=post.page_url)
        if post.link_url is not None:
            yield Candidate(
                url=post.link_url, kind="page", source=self.name, page_url=post.link_url
            )

    async def _get_json(self, fetcher: Fetcher, path: str, params: dict[str, str]) -> Any:
        url = self._config.endpoint.rstrip("/") + path
        response = await self._get(fetcher, url, params, renew_token=False)
        if response.status == 401:  # the token expired or was revoked early: renew it once
            response = await self._get(fetcher, url, params, renew_token=True)
        status = response.status
        if status == 401:
            raise FetchError(url, f"Reddit refused the access token (HTTP 401); {CREDENTIALS_HINT}")
        if status in (403, 404) or 300 <= status < 400:
            raise _ListingSkipped(_access_problem(response))
        if urlsplit(response.url).path.rstrip("/") != urlsplit(url).path.rstrip("/"):
            # Reddit redirects a subreddit that does not exist to its subreddit search.
            raise _ListingSkipped(f"Reddit redirected it to {urlsplit(response.url).path[:80]}")
        if status != 200:
            raise _ListingFailed(f"HTTP {status} from {url}")
        try:
            return response.json()
        except FetchError as error:
            raise _ListingFailed(error.reason) from None

    async def _get(
        self, fetcher: Fetcher, url: str, params: dict[str, str], *, renew_token: bool
    ) -> ApiResponse:
        token = await self._token.value(fetcher, renew=renew_token)
        headers = {"authorization": f"bearer {token}", "user-agent": self._config.user_agent}
        return await self._pacer.send(
            lambda: fetcher.call_api("GET", url, params=params, headers=headers)
        )

    def _save(self, state: dict[str, Any], checkpoints: dict[str, str]) -> None:
        state["listings"] = dict(checkpoints)
        if self._pacer.quota is not None:
            self._pacer.quota.record_in(state)
        self._state.save(self.name, state)


def _load_checkpoints(state: dict[str, Any], *, keys: set[str]) -> dict[str, str]:
    """The checkpoints of the listings still configured; anything unreadable is dropped."""
    stored = state.get("listings")
    checkpoints: dict[str, str] = {}
    for key, name in stored.items() if isinstance(stored, dict) else ():
        if key in keys and isinstance(name, str):
            try:
                post_order(name)
            except ValueError:
                continue
            checkpoints[key] = name
    return checkpoints


def _access_problem(response: ApiResponse) -> str:
    """Why Reddit will not show a subreddit, from its error body ({"reason": "private", ...})."""
    if 300 <= response.status < 400:
        return f"HTTP {response.status}: the subreddit does not exist (Reddit redirects to search)"
    try:
        payload = response.json()
    except FetchError:
        payload = None
    reason = payload.get("reason") if isinstance(payload, dict) else None
    if isinstance(reason, str) and reason.isidentifier() and len(reason) <= 40:
        return f"HTTP {response.status}: the subreddit is {reason}"
    return f"HTTP {response.status}: the subreddit is private, banned or does not exist"
