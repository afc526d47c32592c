"""The reverse image search source: seeds, intervals, quota, rate limits, failures, and the
whole way from a confirmed sighting to new sightings on other sites."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.config import load_settings
from monitor.demo.pictures import ALTERATIONS, draw_picture, encode
from monitor.demo.server import serve_alert_receiver
from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.service import running_monitor
from monitor.sources.base import Candidate, MemorySourceState, SourceContext
from monitor.sources.reverse import ReverseSource, ReverseSourceConfig
from monitor.sources.search_api import ApiKeyError
from monitor.store.review import change_status
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

SERPAPI_KEY = "serp-test-key-0123456789"
TINEYE_KEY = "tineye-test-key-9876543210"
SEED_A = "https://seed.example/i/a.jpg"
SEED_B = "https://seed.example/i/b.jpg"
SEED_C = "https://seed.example/i/c.jpg"


class CountingState(MemorySourceState):
    def __init__(self) -> None:
        super().__init__()
        self.saves = 0

    def save(self, source: str, state: dict[str, Any]) -> None:
        self.saves += 1
        json.dumps(state)  # the database keeps it as JSON
        super().save(source, state)


@pytest.fixture
def api() -> Iterator[RecordedApi]:
    with serve_api() as served:
        served.reply("GET", "/account.json", json_reply(fixture("serpapi/account.json")))
        served.reply("GET", "/search.json", json_reply(fixture("serpapi/google_lens.json")))
        served.reply(
            "GET",
            "/rest/remaining_searches/",
            json_reply(fixture("tineye/remaining_searches.json")),
        )
        served.reply("GET", "/rest/search/", json_reply(fixture("tineye/search.json")))
        yield served


def reverse_config(api: RecordedApi, **overrides: Any) -> ReverseSourceConfig:
    values: dict[str, Any] = {
        "kind": "reverse",
        "name": "rev",
        "providers": ["serpapi:google_lens"],
        "serpapi_key": SERPAPI_KEY,
        "serpapi_endpoint": api.base_url,
        "tineye_key": TINEYE_KEY,
        "tineye_endpoint": f"{api.base_url}/rest/",
        **overrides,
    }
    return ReverseSourceConfig.model_validate(values)


def reverse_source(
    api: RecordedApi,
    *,
    seeds: Sequence[str] = (SEED_A,),
    state: MemorySourceState | None = None,
    clock: Clock | None = None,
    sleep: RecordingSleep | None = None,
    **overrides: Any,
) -> ReverseSource:
    context = SourceContext(
        state=state if state is not None else MemorySourceState(),
        confirmed_image_urls=lambda: list(seeds),
    )
    return ReverseSource(
        reverse_config(api, **overrides),
        context=context,
        clock=clock or Clock(),
        sleep=sleep or RecordingSleep(),
    )


async def poll(source: ReverseSource) -> list[Candidate]:
    async with Fetcher(loopback_settings()) as fetcher:
        return [candidate async for candidate in source.poll(fetcher)]


def searched_seeds(api: RecordedApi) -> list[str]:
    return [request.query["url"] for request in api.seen("/search.json")]


# --- seeds and candidates ---------------------------------------------------------------------


async def test_every_seed_is_searched_with_every_provider_and_results_become_candidates(
    api: RecordedApi,
) -> None:
    source = reverse_source(
        api, seeds=[SEED_A], urls=[SEED_B], providers=["serpapi:google_lens", "tineye"]
    )
    candidates = await poll(source)

    assert sorted(searched_seeds(api)) == [SEED_A, SEED_B]
    for request in api.seen("/search.json"):
        assert request.query["engine"] == "google_lens"
        assert request.query["api_key"] == SERPAPI_KEY
    assert sorted(r.query["image_url"] for r in api.seen("/rest/search/")) == [SEED_A, SEED_B]
    assert all(r.headers["x-api-key"] == TINEYE_KEY for r in api.seen("/rest/search/"))
    assert len(api.seen("/account.json")) == 1
    assert len(api.seen("/rest/remaining_searches/")) == 1

    pages = {c.url for c in candidates if c.kind == "page"}
    images = {(c.url, c.page_url) for c in candidates if c.kind == "image"}
    assert pages == {
        "https://forum-a.example/album/17",
        "https://host-b.example/g/abc",
        "https://forum-a.example/album/17?page=2",
        "https://mirror-d.example/m/9",
    }
    assert images == {
        ("https://forum-a.example/uploads/17.jpg", "https://forum-a.example/album/17"),
        ("https://forum-a.example/uploads/17.jpg", "https://forum-a.example/album/17?page=2"),
        ("https://mirror-d.example/m/9.jpg", "https://mirror-d.example/m/9"),
    }
    assert len(candidates) == len(set(candidates)), "no candidate twice in one sweep"
    for candidate in candidates:
        assert candidate.source == "rev"
        assert candidate.depth == 0
        if candidate.kind == "page":
            assert candidate.page_url == candidate.url


async def test_no_seeds_means_no_searches(api: RecordedApi) -> None:
    assert await poll(reverse_source(api, seeds=[])) == []
    assert api.requests == []


async def test_a_seed_that_is_not_a_public_url_is_skipped(api: RecordedApi) -> None:
    await poll(reverse_source(api, seeds=["file:///home/victim/original.jpg", SEED_A]))
    assert searched_seeds(api) == [SEED_A]


async def test_results_that_are_the_seed_itself_are_not_candidates(api: RecordedApi) -> None:
    lens = fixture("serpapi/google_lens.json")
    lens["visual_matches"][0]["image"] = SEED_A
    api.reply("GET", "/search.json", json_reply(lens))
    candidates = await poll(reverse_source(api))
    assert SEED_A not in {candidate.url for candidate in candidates}


# --- intervals and saved state ----------------------------------------------------------------


async def test_a_seed_is_searched_again_only_after_seed_every(api: RecordedApi) -> None:
    clock, state = Clock(), MemorySourceState()
    source = reverse_source(api, state=state, clock=clock, seed_every="7d")

    assert await poll(source)
    assert await poll(source) == []
    clock.now = START + timedelta(days=6, hours=23)
    assert await poll(source) == []
    assert searched_seeds(api) == [SEED_A]
    assert len(api.seen("/account.json")) == 1, "no quota check when nothing is due"

    clock.now = START + timedelta(days=7)
    assert await poll(source)
    assert searched_seeds(api) == [SEED_A, SEED_A]
    saved = state.load("rev")
    assert saved["searched"] == {"serpapi:google_lens": {SEED_A: clock.now.isoformat()}}


async def test_each_search_is_saved_before_its_results_so_a_crash_never_repeats_it(
    api: RecordedApi,
) -> None:
    state = CountingState()
    source = reverse_source(api, seeds=[SEED_A, SEED_B], state=state)
    async with Fetcher(loopback_settings()) as fetcher:
        sweep = source.poll(fetcher)
        assert isinstance(sweep, AsyncGenerator)
        await anext(sweep)  # the process dies after the first result of the first search
        await sweep.aclose()
    assert searched_seeds(api) == [SEED_A]
    assert state.saves >= 1

    restarted = reverse_source(api, seeds=[SEED_A, SEED_B], state=state)
    await poll(restarted)
    assert searched_seeds(api) == [SEED_A, SEED_B]


async def test_seeds_no_longer_confirmed_are_forgotten(api: RecordedApi) -> None:
    state = MemorySourceState()
    await poll(reverse_source(api, seeds=[SEED_A], state=state))
    await poll(reverse_source(api, seeds=[SEED_B], state=state))
    assert set(state.load("rev")["searched"]["serpapi:google_lens"]) == {SEED_B}


async def test_max_searches_per_sweep_leaves_the_rest_for_the_next_sweep(
    api: RecordedApi,
) -> None:
    state = MemorySourceState()
    seeds = [SEED_A, SEED_B, SEED_C]
    await poll(reverse_source(api, seeds=seeds, state=state, max_searches_per_sweep=2))
    assert searched_seeds(api) == [SEED_A, SEED_B]
    await poll(reverse_source(api, seeds=seeds, state=state, max_searches_per_sweep=2))
    assert searched_seeds(api) == [SEED_A, SEED_B, SEED_C]


# --- quota ------------------------------------------------------------------------------------


async def test_quota_left_is_kept_per_account_for_the_sources_command(api: RecordedApi) -> None:
    state = MemorySourceState()
    await poll(
        reverse_source(
            api, seeds=[SEED_A], state=state, providers=["serpapi:google_lens", "tineye"]
        )
    )
    assert state.load("rev")["quota_left"] == {"serpapi": 4957, "tineye": 5718}


async def test_an_account_with_no_searches_left_is_not_searched(api: RecordedApi) -> None:
    api.reply("GET", "/account.json", json_reply(fixture("serpapi/account_exhausted.json")))
    state = MemorySourceState()
    assert await poll(reverse_source(api, seeds=[SEED_A, SEED_B], state=state)) == []
    assert api.seen("/search.json") == []
    assert state.load("rev")["quota_left"] == {"serpapi": 0}


async def test_running_out_mid_sweep_stops_that_provider_only(api: RecordedApi) -> None:
    api.reply("GET", "/search.json", json_reply(fixture("serpapi/out_of_searches.json"), 429))
    state = MemorySourceState()
    source = reverse_source(
        api, seeds=[SEED_A, SEED_B], state=state, providers=["serpapi:google_lens", "tineye"]
    )
    candidates = await poll(source)

    assert searched_seeds(api) == [SEED_A]
    assert len(api.seen("/rest/search/")) == 2
    assert candidates, "TinEye's results still count"
    saved = state.load("rev")
    assert saved["quota_left"]["serpapi"] == 0
    assert SEED_A not in saved["searched"].get("serpapi:google_lens", {})


async def test_a_failed_quota_check_does_not_stop_the_searches(api: RecordedApi) -> None:
    api.reply("GET", "/account.json", json_reply({"error": "oops"}, status=503))
    assert await poll(reverse_source(api))
    assert searched_seeds(api) == [SEED_A]


# --- rate limits ------------------------------------------------------------------------------


async def test_a_short_retry_after_is_waited_out_within_the_sweep(api: RecordedApi) -> None:
    throttled = json_reply(
        fixture("serpapi/throughput_limit.json"), status=429, headers={"Retry-After": "2"}
    )
    api.reply("GET", "/search.json", throttled, json_reply(fixture("serpapi/google_lens.json")))
    sleep = RecordingSleep()
    candidates = await poll(reverse_source(api, sleep=sleep, max_rate_limit_wait=5))
    assert sleep.waits == [2.0]
    assert searched_seeds(api) == [SEED_A, SEED_A]
    assert candidates


async def test_a_long_rate_limit_ends_this_sweeps_searches_and_carries_on_later(
    api: RecordedApi,
) -> None:
    throttled = json_reply(
        fixture("serpapi/throughput_limit.json"), status=429, headers={"Retry-After": "3600"}
    )
    api.reply("GET", "/search.json", throttled)
    clock, state, sleep = Clock(), MemorySourceState(), RecordingSleep()

    def source() -> ReverseSource:
        return reverse_source(api, seeds=[SEED_A, SEED_B], state=state, clock=clock, sleep=sleep)

    assert await poll(source()) == []  # no exception: a rate limit is not a failure
    assert searched_seeds(api) == [SEED_A]
    assert sleep.waits == []
    saved = state.load("rev")
    assert saved["rate_limited_until"] == {"serpapi": (START + timedelta(hours=1)).isoformat()}
    assert saved["searched"] == {}

    clock.now = START + timedelta(minutes=10)
    requests_before = len(api.requests)
    assert await poll(source()) == []
    assert len(api.requests) == requests_before, "a resting account is not asked anything"

    api.reply("GET", "/search.json", json_reply(fixture("serpapi/google_lens.json")))
    clock.now = START + timedelta(hours=2)
    assert await poll(source())
    assert searched_seeds(api) == [SEED_A, SEED_A, SEED_B]
    assert state.load("rev")["rate_limited_until"] == {}


@pytest.mark.parametrize(
    ("retry_after", "rest"),
    [
        ("Fri, 31 Dec 9999 23:59:59 GMT", timedelta(days=1)),
        ("999999999", timedelta(days=1)),
        (None, timedelta(minutes=15)),
    ],
)
async def test_a_rate_limit_never_silences_the_source_for_long(
    api: RecordedApi, retry_after: str | None, rest: timedelta
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    throttled = json_reply(fixture("serpapi/throughput_limit.json"), status=429, headers=headers)
    api.reply("GET", "/search.json", throttled)
    state = MemorySourceState()
    assert await poll(reverse_source(api, state=state)) == []
    assert state.load("rev")["rate_limited_until"] == {"serpapi": (START + rest).isoformat()}


# --- failures ---------------------------------------------------------------------------------


async def test_a_refused_key_fails_the_sweep_naming_the_setting(api: RecordedApi) -> None:
    api.reply("GET", "/account.json", json_reply(fixture("serpapi/invalid_key.json"), status=401))
    with pytest.raises(ApiKeyError, match='serpapi_key of source "rev"') as caught:
        await poll(reverse_source(api))
    assert SERPAPI_KEY not in str(caught.value)
    assert api.seen("/search.json") == []


async def test_a_key_refused_at_search_time_fails_the_sweep_too(api: RecordedApi) -> None:
    api.reply("GET", "/rest/search/", json_reply(fixture("tineye/invalid_key.json"), status=401))
    with pytest.raises(ApiKeyError, match='tineye_key of source "rev"'):
        await poll(reverse_source(api, providers=["tineye"]))


async def test_a_failing_search_is_tried_again_next_sweep_and_the_sweep_reports_it(
    api: RecordedApi,
) -> None:
    server_error = json_reply(fixture("serpapi/server_error.json"), status=500)
    api.reply("GET", "/search.json", server_error, json_reply(fixture("serpapi/google_lens.json")))
    state = MemorySourceState()
    source = reverse_source(api, seeds=[SEED_A, SEED_B], state=state)

    candidates: list[Candidate] = []

    async def sweep() -> None:
        async with Fetcher(loopback_settings()) as fetcher:
            async for candidate in source.poll(fetcher):
                candidates.append(candidate)

    with pytest.raises(FetchError, match="1 of 2 searches failed") as caught:
        await sweep()
    assert "HTTP 500" in str(caught.value)
    assert candidates, "the other seed's results are kept"
    assert set(state.load("rev")["searched"]["serpapi:google_lens"]) == {SEED_B}

    await poll(source)
    assert searched_seeds(api) == [SEED_A, SEED_B, SEED_A]


@pytest.mark.parametrize("name", ["could_not_download", "no_signature"])
async def test_a_seed_the_api_cannot_use_waits_for_its_interval(
    api: RecordedApi, name: str
) -> None:
    body = fixture(f"tineye/{name}.json")
    api.reply("GET", "/rest/search/", json_reply(body, status=body["code"]))
    state = MemorySourceState()
    assert await poll(reverse_source(api, state=state, providers=["tineye"])) == []
    assert SEED_A in state.load("rev")["searched"]["tineye"]


# --- config -----------------------------------------------------------------------------------


def test_a_provider_without_its_key_is_a_clear_config_error(api: RecordedApi) -> None:
    with pytest.raises(ValidationError, match=r'tineye_key = "\$\{TINEYE_API_KEY\}"'):
        reverse_config(api, providers=["tineye"], tineye_key=None)
    with pytest.raises(ValidationError, match="serpapi_key is not set"):
        reverse_config(api, serpapi_key=None)
    with pytest.raises(ValidationError, match="serpapi:google_lens"):
        reverse_config(api, providers=["serpapi:altavista"])
    with pytest.raises(ValidationError, match="empty or has spaces"):
        reverse_config(api, serpapi_key="  ")


def test_keys_come_from_the_environment_and_are_never_shown(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        """
[[sources]]
name = "rev"
kind = "reverse"
providers = ["serpapi:google_lens", "tineye"]
serpapi_key = "${SERPAPI_KEY}"
tineye_key = "${TINEYE_API_KEY}"
"""
    )
    settings = load_settings(
        config, environ={"SERPAPI_KEY": SERPAPI_KEY, "TINEYE_API_KEY": TINEYE_KEY}
    )
    [source] = settings.sources
    assert isinstance(source, ReverseSourceConfig)
    assert source.serpapi_key is not None
    assert source.serpapi_key.get_secret_value() == SERPAPI_KEY
    shown = repr(settings) + settings.model_dump_json()
    assert SERPAPI_KEY not in shown
    assert TINEYE_KEY not in shown


# --- end to end -------------------------------------------------------------------------------


async def test_a_confirmed_sighting_leads_to_copies_on_two_other_sites(tmp_path: Path) -> None:
    original = encode(draw_picture(31), quality=92)
    with (
        serve_site("127.0.0.1") as board,
        serve_site("127.0.0.2") as forum,
        serve_site("127.0.0.3") as mirror,
        serve_api() as api,
        serve_alert_receiver() as receiver,
    ):
        seen_copy = board.add_image("/up/1.jpg", encode(ALTERATIONS["reencoded"](draw_picture(31))))
        board.add_page("/thread/1", gallery_page("/up/1.jpg"))
        forum_image = forum.add_image(
            "/uploads/17.jpg", encode(ALTERATIONS["resized"](draw_picture(31)))
        )
        forum_page = forum.add_page("/album/17", gallery_page("/uploads/17.jpg"))
        mirror.add_image("/m/9.jpg", encode(ALTERATIONS["mirrored"](draw_picture(31))))
        mirror.add_image("/m/other.jpg", encode(draw_picture(99)))
        mirror_page = mirror.add_page("/m/9", gallery_page("/m/other.jpg", "/m/9.jpg"))

        lens = fixture("serpapi/google_lens.json")
        lens["visual_matches"][0].update(link=forum_page, image=forum_image)
        lens["visual_matches"][1].update(link=mirror_page)
        api.reply("GET", "/account.json", json_reply(fixture("serpapi/account.json")))
        api.reply("GET", "/search.json", json_reply(lens))

        settings = monitor_settings(
            tmp_path,
            receiver.apprise_url,
            sources=[
                {"kind": "pages", "name": "board", "urls": [board.url("/thread/1")], "depth": 0},
                {
                    "kind": "reverse",
                    "name": "rev",
                    "providers": ["serpapi:google_lens"],
                    "serpapi_key": SERPAPI_KEY,
                    "serpapi_endpoint": api.base_url,
                },
            ],
        )
        async with running_monitor(settings) as monitor:
            enroll_original(monitor.db, original)

            first = await monitor.scan(only="board")
            assert first.sweeps[0].new_sightings == 1
            [seen] = list_sightings(monitor.db)
            assert seen.image_url == seen_copy
            assert len(receiver.messages) == 1

            idle = await monitor.scan(only="rev")
            assert idle.sweeps[0].candidates == 0, "nothing confirmed yet: nothing to search"
            assert api.seen("/search.json") == []

            change_status(
                monitor.db, sighting_id=seen.id, to_status="confirmed", at=datetime.now(UTC)
            )
            report = await monitor.scan(only="rev")

            [request] = api.seen("/search.json")
            assert request.query["url"] == seen_copy
            assert request.query["engine"] == "google_lens"
            [sweep] = report.sweeps
            assert sweep.error is None
            assert sweep.new_sightings == 2
            found = {s.image_url: s for s in list_sightings(monitor.db) if s.source == "rev"}
            assert set(found) == {forum_image, mirror.url("/m/9.jpg")}
            assert found[forum_image].page_url == forum_page
            assert found[mirror.url("/m/9.jpg")].page_url == mirror_page
            assert {s.status for s in found.values()} == {"new"}

            assert len(receiver.messages) == 2, receiver.messages
            alert = receiver.messages[1]["message"]
            assert forum_page in alert
            assert mirror_page in alert
            assert "/m/other.jpg" not in alert
            assert report.delivery.messages_sent == 1
