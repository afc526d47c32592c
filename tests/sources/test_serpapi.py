"""The SerpApi client against recorded responses served from a loopback API."""

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
from monitor.sources.serpapi import SerpApiClient
from tests.sources.recorded_api import RecordedApi, Reply, fixture, json_reply, serve_api
from tests.sources.search_support import loopback_settings

KEY = "serp-test-key-0123456789"
SEED = "https://seed.example/i/1.jpg?size=large"
KEY_SETTING = 'serpapi_key of source "rev"'


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    with serve_api() as served:
        yield served


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(loopback_settings()) as fetcher:
        yield fetcher


def client_for(api: RecordedApi, *, endpoint: str | None = None) -> SerpApiClient:
    return SerpApiClient(endpoint=endpoint or api.base_url, api_key=KEY, key_setting=KEY_SETTING)


@pytest.mark.parametrize(
    ("engine", "seed_parameter", "expected"),
    [
        (
            "google_lens",
            "url",
            [
                Found("https://forum-a.example/album/17", "https://forum-a.example/uploads/17.jpg"),
                Found("https://host-b.example/g/abc", None),
            ],
        ),
        (
            "google_reverse_image",
            "image_url",
            [
                Found("https://board-c.example/t/442", "https://board-c.example/files/442.jpg"),
                Found("https://host-b.example/g/abc", None),
                Found("https://mirror-d.example/m/9", "https://mirror-d.example/m/9.jpg"),
            ],
        ),
        (
            "bing_reverse_image",
            "image_url",
            [Found("https://forum-a.example/post/88", "https://forum-a.example/uploads/88.jpg")],
        ),
        (
            "yandex_images",
            "url",
            [
                Found("https://board-c.example/t/5", "https://board-c.example/files/5.jpg"),
                Found("https://mirror-d.example/m/5", "https://mirror-d.example/m/5.jpg"),
            ],
        ),
    ],
)
async def test_reverse_search_asks_each_engine_its_way_and_reads_its_results(
    api: RecordedApi, fetcher: Fetcher, engine: str, seed_parameter: str, expected: list[Found]
) -> None:
    api.reply("GET", "/search.json", json_reply(fixture(f"serpapi/{engine}.json")))

    found = await client_for(api).reverse_search(
        fetcher,
        engine=engine,  # type: ignore[arg-type]
        image_url=SEED,
    )

    assert found == expected
    [request] = api.seen("/search.json")
    assert request.query == {"engine": engine, seed_parameter: SEED, "api_key": KEY}
    assert request.headers["accept"] == "application/json"


async def test_thumbnails_and_the_engines_own_pages_never_become_results(
    api: RecordedApi, fetcher: Fetcher
) -> None:
    for engine in ("google_lens", "google_reverse_image", "bing_reverse_image", "yandex_images"):
        api.reply("GET", "/search.json", json_reply(fixture(f"serpapi/{engine}.json")))
        found = await client_for(api).reverse_search(fetcher, engine=engine, image_url=SEED)
        urls = {url for item in found for url in (item.page_url, item.image_url) if url}
        assert urls
        for url in urls:
            assert not any(host in url for host in ("gstatic", "bing.", "google.", "yandex."))


async def test_keyword_searches(api: RecordedApi, fetcher: Fetcher) -> None:
    client = client_for(api)
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/google.json")))
    pages = await client.keyword_search(fetcher, engine="google", query="janedoe99")
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/google_images.json")))
    images = await client.keyword_search(fetcher, engine="google_images", query='"Jane Doe"')

    assert pages == [
        Found("https://paste-e.example/p/31", None),
        Found("https://forum-a.example/u/janedoe99", None),
    ]
    assert images == [
        Found("https://board-c.example/t/901", "https://board-c.example/files/901.jpg"),
        Found("https://host-b.example/g/jd", "https://host-b.example/img/jd.png"),
    ]
    first, second = api.seen("/search.json")
    assert first.query == {"engine": "google", "q": "janedoe99", "api_key": KEY}
    assert second.query == {"engine": "google_images", "q": '"Jane Doe"', "api_key": KEY}


async def test_searches_left_come_from_the_account_api(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/account.json", json_reply(fixture("serpapi/account.json")))
    assert await client_for(api, endpoint=api.base_url + "/").searches_left(fetcher) == 4958
    [request] = api.seen("/account.json")
    assert request.query == {"api_key": KEY}

    api.reply("GET", "/account.json", json_reply({"plan_name": "Free Plan"}))
    assert await client_for(api).searches_left(fetcher) is None


async def test_empty_results_are_a_success(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/empty_results.json")))
    assert await client_for(api).keyword_search(fetcher, engine="google", query="zzqxj") == []


async def test_a_refused_key_names_the_setting_to_fix(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/invalid_key.json"), status=401))
    with pytest.raises(ApiKeyError) as caught:
        await client_for(api).reverse_search(fetcher, engine="google_lens", image_url=SEED)
    message = str(caught.value)
    assert KEY_SETTING in message
    assert "Invalid API key" in message
    assert KEY not in message
    assert "?" not in caught.value.url


async def test_run_out_of_searches_is_a_spent_quota(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/out_of_searches.json"), 429))
    with pytest.raises(QuotaExhaustedError, match="run out of searches"):
        await client_for(api).reverse_search(fetcher, engine="google_lens", image_url=SEED)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("120", 120.0), ("Thu, 01 Jan 2099 00:00:00 GMT", None), ("soon", None), (None, None)],
)
async def test_throughput_limit_is_a_rate_limit_with_its_retry_after(
    api: RecordedApi, fetcher: Fetcher, retry_after: str | None, expected: float | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    body = fixture("serpapi/throughput_limit.json")
    api.reply("GET", "/search.json", json_reply(body, status=429, headers=headers))
    with pytest.raises(RateLimitedError) as caught:
        await client_for(api).reverse_search(fetcher, engine="google_lens", image_url=SEED)
    if retry_after and retry_after.startswith("Thu"):
        assert caught.value.retry_after is not None
        assert caught.value.retry_after > 365 * 86400
    else:
        assert caught.value.retry_after == expected


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (json_reply(fixture("serpapi/server_error.json"), status=500), "HTTP 500"),
        (Reply(503, b"<html>Service Unavailable</html>", {"Content-Type": "text/html"}), "503"),
        (Reply(200, b'{"search_metadata": {"status": "Succ', {}), "malformed JSON"),
        (Reply(200, b"<html>captcha</html>", {"Content-Type": "text/html"}), "malformed JSON"),
        (json_reply([1, 2, 3]), "not an object"),
        (json_reply({"error": "x"}, status=302), "HTTP 302"),
    ],
)
async def test_server_failures_are_fetch_errors_to_try_again(
    api: RecordedApi, fetcher: Fetcher, reply: Reply, words: str
) -> None:
    api.reply("GET", "/search.json", reply)
    with pytest.raises(FetchError, match=words) as caught:
        await client_for(api).reverse_search(fetcher, engine="google_lens", image_url=SEED)
    assert not isinstance(caught.value, SearchRefusedError | ApiKeyError | RateLimitedError)
    assert KEY not in str(caught.value)


async def test_a_search_the_api_cannot_run_is_refused(api: RecordedApi, fetcher: Fetcher) -> None:
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/missing_parameter.json"), 400))
    with pytest.raises(SearchRefusedError, match="Missing query"):
        await client_for(api).reverse_search(fetcher, engine="google_lens", image_url=SEED)
    api.reply(
        "GET",
        "/search.json",
        json_reply({"search_metadata": {"status": "Error"}, "error": "Unsupported image."}),
    )
    with pytest.raises(SearchRefusedError, match="Unsupported image"):
        await client_for(api).reverse_search(fetcher, engine="google_lens", image_url=SEED)


@pytest.mark.parametrize(
    "body",
    [
        {"visual_matches": "not a list"},
        {"visual_matches": [None, 1, "x", [], {"link": None, "image": {"link": 5}}]},
        {"visual_matches": [{"link": "http://" + "a" * 5000 + ".example/"}]},
        {"visual_matches": [{"link": "https://ok.example/p", "image": {"link": "ftp://x/y.jpg"}}]},
        {"error": None, "visual_matches": [{"link": "https://[::1/broken"}]},
    ],
)
async def test_hostile_result_fields_are_skipped(
    api: RecordedApi, fetcher: Fetcher, body: object
) -> None:
    api.reply("GET", "/search.json", json_reply(body))
    found = await client_for(api).reverse_search(fetcher, engine="google_lens", image_url=SEED)
    assert all(item.page_url == "https://ok.example/p" for item in found)
    assert all(item.image_url is None for item in found)
