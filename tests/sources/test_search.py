"""The keyword search source: queries through SerpApi, their intervals and quota, and the way
from a search result to a sighting."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.demo.pictures import ALTERATIONS, draw_picture, encode
from monitor.demo.server import serve_alert_receiver
from monitor.fetch.client import Fetcher
from monitor.service import running_monitor
from monitor.sources.base import Candidate, MemorySourceState, SourceContext
from monitor.sources.search import SearchSource, SearchSourceConfig
from monitor.sources.search_api import ApiKeyError
from monitor.store.sightings import list_sightings
from tests.sources.loopback_sites import serve_site
from tests.sources.recorded_api import RecordedApi, fixture, json_reply, serve_api
from tests.sources.search_support import (
    START,
    Clock,
    RecordingSleep,
    enroll_original,
    gallery_page,
    loopback_settings,
    monitor_settings,
)

KEY = "serp-test-key-0123456789"


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    with serve_api() as served:
        served.reply("GET", "/account.json", json_reply(fixture("serpapi/account.json")))
        yield served


def search_source(
    api: RecordedApi,
    *,
    queries: Sequence[str] = ("janedoe99",),
    state: MemorySourceState | None = None,
    clock: Clock | None = None,
    **overrides: Any,
) -> SearchSource:
    config = SearchSourceConfig.model_validate(
        {
            "kind": "search",
            "name": "kw",
            "queries": list(queries),
            "engines": ["google"],
            "serpapi_key": KEY,
            "endpoint": api.base_url,
            **overrides,
        }
    )
    return SearchSource(
        config,
        context=SourceContext(state=state if state is not None else MemorySourceState()),
        clock=clock or Clock(),
        sleep=RecordingSleep(),
    )


async def poll(source: SearchSource) -> list[Candidate]:
    async with Fetcher(loopback_settings()) as fetcher:
        return [candidate async for candidate in source.poll(fetcher)]


async def test_web_results_become_pages_and_image_results_images_with_their_pages(
    api: RecordedApi,
) -> None:
    api.reply(
        "GET",
        "/search.json",
        json_reply(fixture("serpapi/google.json")),
        json_reply(fixture("serpapi/google_images.json")),
    )
    source = search_source(api, queries=['"Jane Doe"'], engines=["google", "google_images"])
    candidates = await poll(source)

    engines = [
        (r.query["engine"], r.query["q"], r.query["api_key"]) for r in api.seen("/search.json")
    ]
    assert engines == [("google", '"Jane Doe"', KEY), ("google_images", '"Jane Doe"', KEY)]
    assert {(c.kind, c.url, c.page_url) for c in candidates} == {
        ("page", "https://paste-e.example/p/31", "https://paste-e.example/p/31"),
        ("page", "https://forum-a.example/u/janedoe99", "https://forum-a.example/u/janedoe99"),
        ("page", "https://board-c.example/t/901", "https://board-c.example/t/901"),
        ("image", "https://board-c.example/files/901.jpg", "https://board-c.example/t/901"),
        ("page", "https://host-b.example/g/jd", "https://host-b.example/g/jd"),
        ("image", "https://host-b.example/img/jd.png", "https://host-b.example/g/jd"),
    }
    assert all(c.source == "kw" and c.depth == 0 for c in candidates)


async def test_each_query_is_searched_again_only_after_query_every(api: RecordedApi) -> None:
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/google.json")))
    clock, state = Clock(), MemorySourceState()

    def source() -> SearchSource:
        return search_source(
            api, queries=["janedoe99", "jane doe"], state=state, clock=clock, query_every="1d"
        )

    await poll(source())
    await poll(source())
    clock.now = START + timedelta(hours=23)
    await poll(source())
    assert [r.query["q"] for r in api.seen("/search.json")] == ["janedoe99", "jane doe"]
    clock.now = START + timedelta(days=1)
    await poll(source())
    assert len(api.seen("/search.json")) == 4
    saved = state.load("kw")
    assert set(saved["searched"]["serpapi:google"]) == {"janedoe99", "jane doe"}
    assert saved["quota_left"] == {"serpapi": 4956}


async def test_empty_results_are_searched_and_wait_for_their_interval(api: RecordedApi) -> None:
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/empty_results.json")))
    state = MemorySourceState()
    assert await poll(search_source(api, state=state)) == []
    assert "janedoe99" in state.load("kw")["searched"]["serpapi:google"]


async def test_no_searches_left_means_no_searches(api: RecordedApi) -> None:
    api.reply("GET", "/account.json", json_reply(fixture("serpapi/account_exhausted.json")))
    state = MemorySourceState()
    assert await poll(search_source(api, state=state)) == []
    assert api.seen("/search.json") == []
    assert state.load("kw")["quota_left"] == {"serpapi": 0}


async def test_a_refused_key_fails_the_sweep(api: RecordedApi) -> None:
    api.reply("GET", "/account.json", json_reply(fixture("serpapi/invalid_key.json"), status=401))
    with pytest.raises(ApiKeyError, match='serpapi_key of source "kw"'):
        await poll(search_source(api))


def test_config_needs_queries_and_a_key(api: RecordedApi) -> None:
    with pytest.raises(ValidationError, match="queries"):
        search_source(api, queries=[])
    with pytest.raises(ValidationError, match="queries"):
        search_source(api, queries=["   "])
    with pytest.raises(ValidationError, match="google_images"):
        search_source(api, engines=["bing"])
    with pytest.raises(ValidationError, match="serpapi_key"):
        SearchSourceConfig.model_validate({"kind": "search", "name": "kw", "queries": ["x"]})


async def test_a_keyword_result_leads_to_a_page_with_a_reupload(tmp_path: Path) -> None:
    original = encode(draw_picture(47), quality=92)
    with (
        serve_site("127.0.0.2") as paste,
        serve_api() as api,
        serve_alert_receiver() as receiver,
    ):
        paste.add_image("/i/31.jpg", encode(ALTERATIONS["greyscale"](draw_picture(47))))
        paste.add_image("/i/logo.jpg", encode(draw_picture(5)))
        post = paste.add_page("/p/31", gallery_page("/i/logo.jpg", "/i/31.jpg"))
        google = fixture("serpapi/google.json")
        google["organic_results"][0]["link"] = post
        api.reply("GET", "/account.json", json_reply(fixture("serpapi/account.json")))
        api.reply("GET", "/search.json", json_reply(google))

        settings = monitor_settings(
            tmp_path,
            receiver.apprise_url,
            sources=[
                {
                    "kind": "search",
                    "name": "kw",
                    "queries": ["janedoe99"],
                    "engines": ["google"],
                    "serpapi_key": KEY,
                    "endpoint": api.base_url,
                }
            ],
        )
        async with running_monitor(settings) as monitor:
            enroll_original(monitor.db, original)
            report = await monitor.scan(only="kw")

            [sweep] = report.sweeps
            assert sweep.error is None
            assert sweep.new_sightings == 1
            [sighting] = list_sightings(monitor.db)
            assert sighting.image_url == paste.url("/i/31.jpg")
            assert sighting.page_url == post
            assert sighting.source == "kw"
            [message] = receiver.messages
            assert post in message["message"]

            again = await monitor.scan(only="kw")
            assert again.sweeps[0].candidates == 0, "the query waits for query_every"
            assert len(api.seen("/search.json")) == 1
