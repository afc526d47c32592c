"""The mastodon source against a loopback Mastodon instance serving recorded responses."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.sources.base import Candidate, MemorySourceState, SourceContext
from monitor.sources.mastodon import MastodonSource, MastodonSourceConfig
from tests.sources.recorded_api import RecordedApi, Reply, fixture, json_reply, serve_api

TAG = "/api/v1/timelines/tag/holiday"
LOOKUP = "/api/v1/accounts/lookup"
BOB = "/api/v1/accounts/109876543210987654/statuses"
TOKEN = "mastodon-token-from-env"
FILES = "https://files.mastodon.example/"


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    with serve_api() as served:
        yield served


class Sleeps:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def source(
    api: RecordedApi,
    *,
    state: MemorySourceState | None = None,
    sleeps: Sleeps | None = None,
    **overrides: Any,
) -> MastodonSource:
    config = MastodonSourceConfig.model_validate(
        {"kind": "mastodon", "name": "fedi", "instance": api.base_url, "hashtags": ["#holiday"]}
        | overrides
    )
    return MastodonSource(
        config, context=SourceContext(state=state or MemorySourceState()), sleep=sleeps or Sleeps()
    )


async def sweep(mastodon: MastodonSource) -> tuple[list[Candidate], FetchError | None]:
    found: list[Candidate] = []
    settings = FetchSettings(
        allow_private_addresses=True, per_host_delay=0, total_timeout=5, connect_timeout=2
    )
    async with Fetcher(settings) as fetcher:
        try:
            async for candidate in mastodon.poll(fetcher):
                found.append(candidate)
        except FetchError as error:
            return found, error
    return found, None


def link(api: RecordedApi, path: str, *, older: str, newer: str) -> dict[str, str]:
    """The Link header Mastodon sends with a timeline page."""
    base = api.base_url + path
    return {"Link": f'<{base}?max_id={older}>; rel="next", <{base}?min_id={newer}>; rel="prev"'}


def seen(candidates: list[Candidate]) -> list[tuple[str, str]]:
    return [(c.url.removeprefix(FILES), c.page_url) for c in candidates]


def serve_two_tag_pages(api: RecordedApi) -> None:
    api.reply(
        "GET",
        TAG,
        json_reply(
            fixture("mastodon/tag_page1.json"),
            headers=link(api, TAG, older="112233445566778804", newer="112233445566778805"),
        ),
        json_reply(
            fixture("mastodon/tag_page2.json"),
            headers=link(api, TAG, older="112233445566778803", newer="112233445566778803"),
        ),
        json_reply(
            fixture("mastodon/tag_since_last_sweep.json"),
            headers=link(api, TAG, older="112233445566778810", newer="112233445566778810"),
        ),
    )


async def test_first_sweep_pages_back_through_the_link_header(api: RecordedApi) -> None:
    serve_two_tag_pages(api)
    state = MemorySourceState()
    found, error = await sweep(source(api, state=state, page_size=2))
    assert error is None
    alice = "https://mastodon.example/@alice/112233445566778805"
    carol = "https://other.example/@carol/998877"
    dave = "https://mastodon.example/@dave/112233445566778803"
    cache = "cache/media_attachments/files/112/233/445/500/000/00"
    assert seen(found) == [
        (
            "media_attachments/files/112/233/445/500/000/001/original/1f2e3d4c5b6a7980.jpg",
            alice,
        ),
        (f"{cache}2/original/aa11bb22cc33dd44.png", carol),
        (
            "https://media.other.example/system/media_attachments/files/998/877/001/original/photo.png",
            carol,
        ),
        (f"{cache}3/small/clip.png", carol),
        ("media_attachments/files/112/233/445/500/000/004/small/wave.png", dave),
    ]
    assert {candidate.kind for candidate in found} == {"image"}
    assert {candidate.source for candidate in found} == {"fedi"}

    first, second = api.seen(TAG)
    assert first.query == {"only_media": "true", "limit": "2"}
    assert second.query == {"only_media": "true", "limit": "2", "max_id": "112233445566778804"}
    assert "authorization" not in first.headers
    assert state.load("fedi")["timelines"] == {"#holiday": "112233445566778805"}


async def test_second_sweep_asks_only_for_newer_statuses(api: RecordedApi) -> None:
    serve_two_tag_pages(api)
    state = MemorySourceState()
    await sweep(source(api, state=state, page_size=2))
    found, error = await sweep(source(api, state=state, page_size=2))
    assert error is None
    assert seen(found) == [
        (
            "media_attachments/files/112/233/445/500/000/010/original/later.webp",
            "https://mastodon.example/@alice/112233445566778810",
        )
    ]
    third = api.seen(TAG)[2]
    assert third.query == {"only_media": "true", "limit": "2", "since_id": "112233445566778805"}
    assert state.load("fedi")["timelines"] == {"#holiday": "112233445566778810"}


async def test_statuses_at_or_below_the_checkpoint_are_not_yielded_again(
    api: RecordedApi,
) -> None:
    # An instance that ignores since_id must not make old statuses new again.
    api.reply("GET", TAG, json_reply(fixture("mastodon/tag_page1.json")))
    state = MemorySourceState()
    state.save("fedi", {"timelines": {"#holiday": "112233445566778805"}})
    found, error = await sweep(source(api, state=state))
    assert (found, error) == ([], None)


async def test_account_timelines_look_the_account_up_once(api: RecordedApi) -> None:
    api.reply("GET", LOOKUP, json_reply(fixture("mastodon/account_lookup.json")))
    api.reply("GET", BOB, json_reply(fixture("mastodon/account_statuses.json")))
    state = MemorySourceState()
    found, error = await sweep(source(api, state=state, hashtags=[], accounts=["@bob"]))
    assert error is None
    # A boost yields the boosted status's media and page; an attachment the instance could
    # not copy ("unknown") yields its origin; audio yields nothing.
    assert seen(found) == [
        (
            "cache/media_attachments/files/112/233/445/500/000/020/original/boosted.jpg",
            "https://other.example/@carol/997766",
        ),
        (
            "https://media.far.example/uploads/original/unfetched.jpg",
            "https://mastodon.example/@bob/112233445566778820",
        ),
    ]
    [lookup] = api.seen(LOOKUP)
    assert lookup.query == {"acct": "bob"}
    assert api.seen(BOB)[0].query == {"only_media": "true", "limit": "40"}

    await sweep(source(api, state=state, hashtags=[], accounts=["bob"]))
    assert len(api.seen(LOOKUP)) == 1
    assert api.seen(BOB)[1].query["since_id"] == "112233445566778830"


async def test_an_access_token_is_sent_as_bearer(api: RecordedApi) -> None:
    api.reply("GET", TAG, json_reply(fixture("mastodon/empty_timeline.json")))
    await sweep(source(api, access_token=TOKEN))
    [request] = api.seen(TAG)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_a_refused_token_says_how_to_get_one(api: RecordedApi) -> None:
    api.reply("GET", TAG, json_reply(fixture("mastodon/invalid_token.json"), 401))
    _found, error = await sweep(source(api, access_token=TOKEN))
    assert error is not None
    assert "refused the access token (HTTP 401)" in str(error)
    assert "access_token" in str(error)
    assert TOKEN not in str(error)

    _found, error = await sweep(source(api))
    assert error is not None
    assert "wants one" in str(error)


async def test_429_waits_for_retry_after_then_goes_on(api: RecordedApi) -> None:
    api.reply(
        "GET",
        TAG,
        json_reply(fixture("mastodon/too_many_requests.json"), 429, {"Retry-After": "12"}),
        json_reply(fixture("mastodon/tag_page2.json")),
    )
    sleeps = Sleeps()
    found, error = await sweep(source(api, sleeps=sleeps))
    assert error is None
    assert len(found) == 1
    assert sleeps.seconds == [12.0]


async def test_a_long_rate_limit_ends_the_sweep_early_without_failing_it(
    api: RecordedApi, caplog: pytest.LogCaptureFixture
) -> None:
    resets = (datetime.now(UTC) + timedelta(minutes=4)).isoformat().replace("+00:00", "Z")
    limited = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": resets,
    }
    api.reply("GET", TAG, json_reply(fixture("mastodon/too_many_requests.json"), 429, limited))
    state = MemorySourceState()
    sleeps = Sleeps()
    with caplog.at_level(logging.WARNING):
        found, error = await sweep(source(api, state=state, sleeps=sleeps))
    assert (found, error) == ([], None)
    assert sleeps.seconds == []
    assert "rate limit reached" in caplog.text
    assert state.load("fedi")["quota_left"] == 0
    assert state.load("fedi")["timelines"] == {}


async def test_a_spent_budget_is_waited_out_before_the_next_request(api: RecordedApi) -> None:
    resets = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    spent = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": resets}
    api.reply("GET", TAG, json_reply(fixture("mastodon/tag_page2.json"), headers=spent))
    api.reply("GET", "/api/v1/timelines/tag/cats", json_reply([]))
    sleeps = Sleeps()
    _found, error = await sweep(source(api, sleeps=sleeps, hashtags=["holiday", "cats"]))
    assert error is None
    assert len(sleeps.seconds) == 1
    assert 25 < sleeps.seconds[0] <= 30


async def test_unknown_hashtags_and_accounts_are_skipped_with_a_log_line(
    api: RecordedApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.reply("GET", TAG, json_reply(fixture("mastodon/tag_page2.json")))
    # no replies for the other tag or the lookup: the server answers 404 Record not found
    with caplog.at_level(logging.WARNING):
        found, error = await sweep(
            source(api, hashtags=["nosuchtag", "holiday"], accounts=["ghost@far.example"])
        )
    assert error is None
    assert len(found) == 1
    assert "skipping #nosuchtag: HTTP 404" in caplog.text
    assert "skipping @ghost@far.example: HTTP 404" in caplog.text


async def test_a_stale_account_id_is_looked_up_again_next_sweep(api: RecordedApi) -> None:
    state = MemorySourceState()
    state.save("fedi", {"account_ids": {"bob": "555"}})
    found, error = await sweep(source(api, state=state, hashtags=[], accounts=["bob"]))
    assert (found, error) == ([], None)
    assert api.seen("/api/v1/accounts/555/statuses")
    assert state.load("fedi")["account_ids"] == {}


async def test_a_server_error_fails_the_sweep_after_the_other_timelines(
    api: RecordedApi,
) -> None:
    api.reply("GET", TAG, Reply(502, b"<html>Bad Gateway</html>"))
    api.reply("GET", "/api/v1/timelines/tag/cats", json_reply(fixture("mastodon/tag_page2.json")))
    state = MemorySourceState()
    found, error = await sweep(source(api, state=state, hashtags=["holiday", "cats"]))
    assert len(found) == 1
    assert error is not None
    assert "#holiday: HTTP 502" in str(error)
    assert state.load("fedi")["timelines"] == {"#cats": "112233445566778803"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'[{"id": "1"', "malformed JSON"),
        (b'{"error": "This method requires an authenticated user"}', "not a Mastodon timeline"),
    ],
)
async def test_a_body_that_is_not_a_timeline_is_reported(
    api: RecordedApi, body: bytes, reason: str
) -> None:
    api.reply("GET", TAG, Reply(200, body, {"Content-Type": "application/json"}))
    found, error = await sweep(source(api))
    assert found == []
    assert error is not None
    assert reason in str(error)


async def test_an_empty_timeline_yields_nothing_and_keeps_no_checkpoint(
    api: RecordedApi,
) -> None:
    api.reply("GET", TAG, json_reply(fixture("mastodon/empty_timeline.json")))
    state = MemorySourceState()
    found, error = await sweep(source(api, state=state))
    assert (found, error) == ([], None)
    assert state.load("fedi")["timelines"] == {}


async def test_paging_stops_at_max_pages_and_at_a_cursor_that_does_not_move_back(
    api: RecordedApi,
) -> None:
    full_page = json_reply(
        fixture("mastodon/tag_page1.json"),
        headers=link(api, TAG, older="112233445566778804", newer="112233445566778805"),
    )
    api.reply("GET", TAG, full_page)
    await sweep(source(api, page_size=2, max_pages=5))
    assert len(api.seen(TAG)) == 2  # the second page pointed at the same max_id again

    api.requests.clear()
    serve_two_tag_pages(api)
    await sweep(source(api, page_size=1, max_pages=1))
    assert len(api.seen(TAG)) == 1


def test_config_reads_hashtags_and_accounts_as_people_write_them() -> None:
    parsed = MastodonSourceConfig.model_validate(
        {
            "kind": "mastodon",
            "name": "fedi",
            "instance": "https://mastodon.social",
            "hashtags": ["#Holiday", "Holiday", "café"],
            "accounts": ["@bob", "carol@other.example"],
            "access_token": TOKEN,
        }
    )
    assert parsed.hashtags == ["Holiday", "café"]
    assert parsed.accounts == ["bob", "carol@other.example"]
    assert TOKEN not in repr(parsed)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hashtags": ["two words"]}, "is not a hashtag"),
        ({"hashtags": ["../../admin"]}, "is not a hashtag"),
        ({"accounts": ["bob/../../x"]}, "is not an account"),
        ({"hashtags": []}, "give hashtags"),
        ({"instance": "mastodon.social"}, "is not an http"),
        ({"page_size": 80}, "less than or equal to 40"),
    ],
)
def test_config_errors_say_what_to_write(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MastodonSourceConfig.model_validate(
            {
                "kind": "mastodon",
                "name": "fedi",
                "instance": "https://mastodon.social",
                "hashtags": ["holiday"],
            }
            | overrides
        )
