"""The reddit source against a loopback Reddit API serving recorded responses."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.sources.base import Candidate, MemorySourceState, SourceContext
from monitor.sources.reddit import DEFAULT_USER_AGENT, RedditSource, RedditSourceConfig
from tests.sources.recorded_api import RecordedApi, Reply, fixture, json_reply, serve_api

TOKEN = fixture("reddit/token.json")["access_token"]
SECRET = "s3cret-value-from-env"
USER_AGENT = "linux:org.example.monitor:v0.1 (by /u/example_ally)"
NEW = "/r/exampleboard/new"
TOKEN_PATH = "/api/v1/access_token"


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    with serve_api() as served:
        served.reply("POST", TOKEN_PATH, json_reply(fixture("reddit/token.json")))
        yield served


class Sleeps:
    """Stands in for asyncio.sleep: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def config(api: RecordedApi, **overrides: Any) -> RedditSourceConfig:
    return RedditSourceConfig.model_validate(
        {
            "kind": "reddit",
            "name": "reddit-watch",
            "client_id": "my-client-id",
            "client_secret": SECRET,
            "user_agent": USER_AGENT,
            "subreddits": ["exampleboard"],
            "endpoint": api.base_url,
            "auth_endpoint": api.base_url + "/",
        }
        | overrides
    )


def source(
    api: RecordedApi,
    *,
    state: MemorySourceState | None = None,
    sleeps: Sleeps | None = None,
    **overrides: Any,
) -> RedditSource:
    return RedditSource(
        config(api, **overrides),
        context=SourceContext(state=state or MemorySourceState()),
        sleep=sleeps or Sleeps(),
    )


async def sweep(reddit: RedditSource) -> tuple[list[Candidate], FetchError | None]:
    """Every candidate of one poll, and the error that ended it, if any."""
    found: list[Candidate] = []
    settings = FetchSettings(
        allow_private_addresses=True, per_host_delay=0, total_timeout=5, connect_timeout=2
    )
    async with Fetcher(settings) as fetcher:
        try:
            async for candidate in reddit.poll(fetcher):
                found.append(candidate)
        except FetchError as error:
            return found, error
    return found, None


def image(url: str, post: str) -> Candidate:
    page = f"https://www.reddit.com/r/exampleboard/comments/{post}/"
    return Candidate(url=url, kind="image", source="reddit-watch", page_url=page)


FIRST_SWEEP = [
    image("https://i.redd.it/k2v9x1lake.jpeg", "1c8x0f5/evening_at_the_lake"),
    image(
        "https://preview.redd.it/k2v9x1lake.jpeg?auto=webp&s=3f1c0e3b6d2a8f0b9c7e6d5a4b3c2d1e0f9a8b7c",
        "1c8x0f5/evening_at_the_lake",
    ),
    image(
        "https://preview.redd.it/7ow3n8q1hxvc1.jpg?width=3024&format=pjpg&auto=webp&s=cc33",
        "1c8x0e2/two_from_the_weekend",
    ),
    image("https://i.redd.it/d4a2c9r1hxvc1.gif", "1c8x0e2/two_from_the_weekend"),
    image(
        "https://external-preview.redd.it/Zm9ydW0.jpg?auto=webp&s=ee55",
        "1c8x0d9/found_this_elsewhere",
    ),
    Candidate(
        url="https://forum.example.net/thread/9?page=2&sort=new",
        kind="page",
        source="reddit-watch",
        page_url="https://forum.example.net/thread/9?page=2&sort=new",
    ),
    image("https://i.imgur.com/Ab12Cd3.png", "1c8x0b7/old_one"),
    image(
        "https://external-preview.redd.it/OXhrMm0.png?format=pjpg&auto=webp&s=ff66",
        "1c8x0a3/short_clip",
    ),
]


async def test_first_sweep_reads_every_page_with_an_app_only_token(api: RecordedApi) -> None:
    api.reply(
        "GET",
        NEW,
        json_reply(fixture("reddit/new_page1.json")),
        json_reply(fixture("reddit/new_page2.json")),
    )
    state = MemorySourceState()
    found, error = await sweep(source(api, state=state))
    assert error is None
    assert found == FIRST_SWEEP

    [token_request] = api.seen(TOKEN_PATH)
    expected_basic = base64.b64encode(f"my-client-id:{SECRET}".encode()).decode()
    assert token_request.headers["authorization"] == f"Basic {expected_basic}"
    assert token_request.form == {"grant_type": "client_credentials"}
    assert token_request.headers["user-agent"] == USER_AGENT

    first, second = api.seen(NEW)
    for request in (first, second):
        assert request.headers["authorization"] == f"bearer {TOKEN}"
        assert request.headers["user-agent"] == USER_AGENT
    assert first.query == {"limit": "100"}
    assert second.query == {"limit": "100", "after": "t3_1c8x0c1"}
    assert state.load("reddit-watch")["listings"] == {"r/exampleboard/new": "t3_1c8x0f5"}


async def test_second_sweep_yields_only_newer_posts(api: RecordedApi) -> None:
    api.reply(
        "GET",
        NEW,
        json_reply(fixture("reddit/new_page1.json")),
        json_reply(fixture("reddit/new_page2.json")),
        json_reply(fixture("reddit/new_since_last_sweep.json")),
    )
    state = MemorySourceState()
    reddit = source(api, state=state)
    await sweep(reddit)
    found, error = await sweep(reddit)
    assert error is None
    assert found == [image("https://i.redd.it/n3w3rpost1.png", "1c8x1a0/newer")]
    # The page that reached the checkpoint was the last one asked for; the token was reused.
    assert len(api.seen(NEW)) == 3
    assert len(api.seen(TOKEN_PATH)) == 1
    assert state.load("reddit-watch")["listings"] == {"r/exampleboard/new": "t3_1c8x1a0"}

    # The checkpoint lives in the state, not in the source: a restarted monitor keeps it.
    restarted = source(api, state=state)
    found, error = await sweep(restarted)
    assert (found, error) == ([], None)


async def test_search_sorts_by_new_and_can_stay_in_some_subreddits(api: RecordedApi) -> None:
    api.reply("GET", "/search", json_reply(fixture("reddit/search_new.json")))
    api.reply(
        "GET", "/r/exampleboard+otherboard/search", json_reply(fixture("reddit/empty_listing.json"))
    )
    found, error = await sweep(source(api, subreddits=[], search=['"Jane Example"']))
    assert error is None
    # A crosspost carries its parent's gallery.
    assert found == [
        Candidate(
            url="https://preview.redd.it/7ow3n8q1hxvc1.jpg?width=3024&format=pjpg&auto=webp&s=cc33",
            kind="image",
            source="reddit-watch",
            page_url="https://www.reddit.com/r/otherboard/comments/1c8w9z1/is_this_her/",
        )
    ]
    [everywhere] = api.seen("/search")
    assert everywhere.query == {
        "q": '"Jane Example"',
        "sort": "new",
        "type": "link",
        "include_over_18": "on",
        "limit": "100",
    }

    found, error = await sweep(
        source(api, subreddits=[], search=["jane"], search_in=["r/exampleboard", "otherboard"])
    )
    assert (found, error) == ([], None)
    [restricted] = api.seen("/r/exampleboard+otherboard/search")
    assert restricted.query["restrict_sr"] == "true"
    assert restricted.query["q"] == "jane"


async def test_bad_credentials_name_the_settings_to_fix(api: RecordedApi) -> None:
    api.reply("POST", TOKEN_PATH, json_reply(fixture("reddit/unauthorized.json"), status=401))
    found, error = await sweep(source(api))
    assert found == []
    assert error is not None
    assert "client_id" in str(error)
    assert "client_secret" in str(error)
    assert SECRET not in str(error)
    assert api.seen(NEW) == []


async def test_a_token_response_without_a_token_is_an_error(api: RecordedApi) -> None:
    api.reply("POST", TOKEN_PATH, json_reply(fixture("reddit/unsupported_grant.json")))
    _found, error = await sweep(source(api))
    assert error is not None
    assert "unsupported_grant_type" in str(error)


async def test_a_revoked_token_is_renewed_once(api: RecordedApi) -> None:
    api.reply(
        "GET",
        NEW,
        json_reply(fixture("reddit/unauthorized.json"), status=401),
        json_reply(fixture("reddit/new_page2.json")),
    )
    found, error = await sweep(source(api))
    assert error is None
    assert len(found) == 2
    assert len(api.seen(TOKEN_PATH)) == 2


async def test_a_token_refused_twice_fails_the_sweep(api: RecordedApi) -> None:
    api.reply("GET", NEW, json_reply(fixture("reddit/unauthorized.json"), status=401))
    _found, error = await sweep(source(api))
    assert error is not None
    assert "HTTP 401" in str(error)
    assert len(api.seen(NEW)) == 2


async def test_429_waits_as_long_as_retry_after_says_then_goes_on(api: RecordedApi) -> None:
    api.reply(
        "GET",
        NEW,
        json_reply(fixture("reddit/too_many_requests.json"), 429, {"Retry-After": "7"}),
        json_reply(fixture("reddit/new_page2.json")),
    )
    sleeps = Sleeps()
    found, error = await sweep(source(api, sleeps=sleeps))
    assert error is None
    assert len(found) == 2
    assert sleeps.seconds == [7.0]


async def test_a_long_rate_limit_ends_the_sweep_early_without_failing_it(
    api: RecordedApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.reply("GET", "/r/otherboard/new", json_reply(fixture("reddit/new_page2.json")))
    api.reply(
        "GET",
        NEW,
        json_reply(fixture("reddit/too_many_requests.json"), 429, {"Retry-After": "600"}),
    )
    state = MemorySourceState()
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING):
        found, error = await sweep(
            source(api, state=state, sleeps=sleeps, subreddits=["otherboard", "exampleboard"])
        )
    assert error is None
    assert len(found) == 2
    assert sleeps.seconds == []
    assert state.load("reddit-watch")["listings"] == {"r/otherboard/new": "t3_1c8x0b7"}
    assert "rate limit" in caplog.text


async def test_a_spent_budget_is_waited_out_before_the_next_request(api: RecordedApi) -> None:
    spent = {"X-Ratelimit-Used": "600", "X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "42"}
    api.reply("GET", NEW, json_reply(fixture("reddit/new_page1.json"), headers=spent))
    api.reply("GET", "/r/otherboard/new", json_reply(fixture("reddit/empty_listing.json")))
    state = MemorySourceState()
    sleeps = Sleeps()
    reddit = source(
        api, state=state, sleeps=sleeps, subreddits=["exampleboard", "otherboard"], max_pages=1
    )
    _found, error = await sweep(reddit)
    assert error is None
    assert len(sleeps.seconds) == 1
    assert 40 < sleeps.seconds[0] <= 42
    assert state.load("reddit-watch")["quota_left"] == 0


async def test_a_private_or_banned_subreddit_is_skipped_with_a_log_line(
    api: RecordedApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.reply(
        "GET", "/r/secretboard/new", json_reply(fixture("reddit/private_subreddit.json"), 403)
    )
    api.reply("GET", "/r/goneboard/new", json_reply(fixture("reddit/banned_subreddit.json"), 404))
    # Reddit sends a subreddit that never existed to its subreddit search.
    api.reply("GET", "/r/nosuchboard/new", Reply(302, headers={"Location": "/subreddits/search"}))
    api.reply("GET", "/subreddits/search", json_reply(fixture("reddit/empty_listing.json")))
    api.reply("GET", NEW, json_reply(fixture("reddit/new_page2.json")))
    with caplog.at_level(logging.WARNING):
        found, error = await sweep(
            source(api, subreddits=["secretboard", "goneboard", "nosuchboard", "exampleboard"])
        )
    assert error is None
    assert len(found) == 2
    assert "r/nosuchboard/new: Reddit redirected it to /subreddits/search" in caplog.text
    assert "r/secretboard/new: HTTP 403: the subreddit is private" in caplog.text
    assert "r/goneboard/new: HTTP 404: the subreddit is banned" in caplog.text


async def test_a_server_error_fails_the_sweep_after_the_other_listings(api: RecordedApi) -> None:
    api.reply("GET", NEW, Reply(503, b"<html>upstream timed out</html>"))
    api.reply("GET", "/r/otherboard/new", json_reply(fixture("reddit/new_page2.json")))
    state = MemorySourceState()
    found, error = await sweep(source(api, state=state, subreddits=["exampleboard", "otherboard"]))
    assert len(found) == 2
    assert error is not None
    assert "r/exampleboard/new: HTTP 503" in str(error)
    assert state.load("reddit-watch")["listings"] == {"r/otherboard/new": "t3_1c8x0b7"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"kind": "Listing", "data": {"children": [', "malformed JSON"),
        (b"[]", "not a Reddit listing"),
        (b'{"kind": "Listing", "data": {"children": 7}}', "no list of children"),
    ],
)
async def test_a_body_that_is_not_a_listing_is_reported(
    api: RecordedApi, body: bytes, reason: str
) -> None:
    api.reply("GET", NEW, Reply(200, body, {"Content-Type": "application/json"}))
    found, error = await sweep(source(api))
    assert found == []
    assert error is not None
    assert reason in str(error)


async def test_an_empty_listing_yields_nothing_and_keeps_no_checkpoint(api: RecordedApi) -> None:
    api.reply("GET", NEW, json_reply(fixture("reddit/empty_listing.json")))
    state = MemorySourceState()
    found, error = await sweep(source(api, state=state))
    assert (found, error) == ([], None)
    assert state.load("reddit-watch")["listings"] == {}


async def test_pages_stop_at_max_pages(api: RecordedApi) -> None:
    api.reply(
        "GET",
        NEW,
        json_reply(fixture("reddit/new_page1.json")),
        json_reply(fixture("reddit/new_since_last_sweep.json")),
        json_reply(fixture("reddit/new_page1.json")),
    )
    _found, error = await sweep(source(api, max_pages=2))
    assert error is None
    assert len(api.seen(NEW)) == 2


async def test_a_cursor_that_repeats_ends_the_walk(api: RecordedApi) -> None:
    api.reply("GET", NEW, json_reply(fixture("reddit/new_page1.json")))  # "after" never changes
    _found, error = await sweep(source(api, max_pages=10))
    assert error is None
    assert len(api.seen(NEW)) == 2


async def test_hostile_state_is_ignored(api: RecordedApi) -> None:
    api.reply("GET", NEW, json_reply(fixture("reddit/new_page2.json")))
    state = MemorySourceState()
    state.save("reddit-watch", {"listings": {"r/exampleboard/new": "t3_../../x"}, "other": 1})
    found, error = await sweep(source(api, state=state))
    assert error is None
    assert len(found) == 2
    assert state.load("reddit-watch")["other"] == 1


def test_config_reads_subreddits_as_people_write_them() -> None:
    parsed = RedditSourceConfig.model_validate(
        {
            "kind": "reddit",
            "name": "r",
            "client_id": "id",
            "client_secret": SECRET,
            "subreddits": ["r/pics", "/r/Pics_2", "pics"],
        }
    )
    assert parsed.subreddits == ["pics", "Pics_2"]
    assert parsed.user_agent == DEFAULT_USER_AGENT
    assert parsed.endpoint == "https://oauth.reddit.com"
    assert parsed.auth_endpoint == "https://www.reddit.com"
    assert SECRET not in repr(parsed)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subreddits": ["no spaces"]}, "is not a subreddit name"),
        ({"subreddits": [], "search": []}, "give subreddits"),
        ({"search": ["\x00"]}, "not a usable search query"),
        ({"client_secret": " "}, "client_secret"),
        ({"user_agent": "bad\nagent"}, "printable ASCII"),
        ({"endpoint": "ftp://oauth.reddit.com"}, r"http\(s\) URL"),
    ],
)
def test_config_errors_say_what_to_write(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RedditSourceConfig.model_validate(
            {
                "kind": "reddit",
                "name": "r",
                "client_id": "id",
                "client_secret": SECRET,
                "subreddits": ["pics"],
            }
            | overrides
        )
