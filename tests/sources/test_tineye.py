"""The TinEye client against recorded responses served from a loopback API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.sources.search_api import (
    ApiKeyError,
    Found,
    QuotaExhaustedError,
    RateLimitedError,
    SearchRefusedError,
)
from monitor.sources.tineye import TinEyeClient
from tests.sources.recorded_api import RecordedApi, Reply, fixture, json_reply, serve_api
from tests.sources.search_support import loopback_settings

KEY = "6mm60lsCNIB,FwOWjJqA80QZHh9BMwc-ber4u=t^"
SEED = "https://seed.example/i/1.jpg"
KEY_SETTING = 'tineye_key of source "rev"'


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    with serve_api() as served:
        yield served


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(loopback_settings()) as fetcher:
        yield fetcher


def client_for(api: RecordedApi) -> TinEyeClient:
    return TinEyeClient(endpoint=f"{api.base_url}/rest", api_key=KEY, key_setting=KEY_SETTING)


async def test_search_sends_the_key_in_its_header_and_reads_backlinks(
    api: RecordedApi, fetcher: Fetcher
) -> None:
    api.reply("GET", "/rest/search/", json_reply(fixture("tineye/search.json")))

    found = await client_for(api).search(fetcher, image_url=SEED)

    assert found == [
        Found("https://forum-a.example/album/17", "https://forum-a.example/uploads/17.jpg"),
        Found("https://forum-a.example/album/17?page=2", "https://forum-a.example/uploads/17.jpg"),
        Found("https://mirror-d.example/m/9", "https://mirror-d.example/m/9.jpg"),
    ]
    [request] = api.seen("/rest/search/")
    assert request.headers["x-api-key"] == KEY
    assert request.query == {"image_url": SEED, "offset": "0", "limit": "100"}
    assert KEY not in str(request.query)


async def test_tineyes_own_copies_are_never_results(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/rest/search/", json_reply(fixture("tineye/search.json")))
    found = await client_for(api).search(fetcher, image_url=SEED)
    assert not any("tineye" in (item.image_url or "") for item in found)


async def test_no_matches(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/rest/search/", json_reply(fixture("tineye/no_matches.json")))
    assert await client_for(api).search(fetcher, image_url=SEED) == []


async def test_remaining_searches_over_all_bundles(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply(
        "GET", "/rest/remaining_searches/", json_reply(fixture("tineye/remaining_searches.json"))
    )
    assert await client_for(api).searches_left(fetcher) == 5719
    [request] = api.seen("/rest/remaining_searches/")
    assert request.headers["x-api-key"] == KEY


async def test_a_refused_key_names_the_setting_to_fix(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/rest/search/", json_reply(fixture("tineye/invalid_key.json"), status=401))
    with pytest.raises(ApiKeyError) as caught:
        await client_for(api).search(fetcher, image_url=SEED)
    assert KEY_SETTING in str(caught.value)
    assert "Please provide a valid API key" in str(caught.value)
    assert KEY not in str(caught.value)


async def test_no_searches_left(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/rest/search/", json_reply(fixture("tineye/no_searches_left.json"), 402))
    with pytest.raises(QuotaExhaustedError, match="no more searches"):
        await client_for(api).search(fetcher, image_url=SEED)


async def test_too_many_requests(api: RecordedApi, fetcher: Fetcher) -> None:
    body = fixture("tineye/too_many_requests.json")
    api.reply("GET", "/rest/search/", json_reply(body, status=429, headers={"Retry-After": "7"}))
    with pytest.raises(RateLimitedError) as caught:
        await client_for(api).search(fetcher, image_url=SEED)
    assert caught.value.retry_after == 7.0


@pytest.mark.parametrize("name", ["could_not_download", "no_signature"])
async def test_an_image_tineye_cannot_use_is_refused(
    api: RecordedApi, fetcher: Fetcher, name: str
) -> None:
    body = fixture(f"tineye/{name}.json")
    api.reply("GET", "/rest/search/", json_reply(body, status=body["code"]))
    with pytest.raises(SearchRefusedError):
        await client_for(api).search(fetcher, image_url=SEED)


async def test_an_error_code_in_a_200_body_is_not_taken_for_results(
    api: RecordedApi, fetcher: Fetcher
) -> None:
    api.reply("GET", "/rest/search/", json_reply(fixture("tineye/invalid_key.json"), status=200))
    with pytest.raises(ApiKeyError):
        await client_for(api).search(fetcher, image_url=SEED)


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (json_reply({"code": 500, "messages": ["Internal error"], "results": []}, 500), "500"),
        (Reply(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}), "502"),
        (Reply(200, b'{"code": 200, "results": {', {}), "malformed JSON"),
        (json_reply("just a string"), "not an object"),
    ],
)
async def test_server_failures_are_fetch_errors_to_try_again(
    api: RecordedApi, fetcher: Fetcher, reply: Reply, words: str
) -> None:
    api.reply("GET", "/rest/search/", reply)
    with pytest.raises(FetchError, match=words) as caught:
        await client_for(api).search(fetcher, image_url=SEED)
    assert not isinstance(caught.value, SearchRefusedError | ApiKeyError | RateLimitedError)


@pytest.mark.parametrize(
    "results",
    [
        [],
        {"matches": "x"},
        {"matches": [1, None, {"backlinks": "x"}, {"backlinks": [1, {"url": ["x"]}]}]},
        {"matches": [{"backlinks": [{"url": "data:image/png;base64,AAAA", "backlink": 7}]}]},
    ],
)
async def test_hostile_results_are_skipped(
    api: RecordedApi, fetcher: Fetcher, results: object
) -> None:
    api.reply("GET", "/rest/search/", json_reply({"code": 200, "results": results}))
    assert await client_for(api).search(fetcher, image_url=SEED) == []
