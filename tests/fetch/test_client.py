from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import time
import tracemalloc
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from monitor.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HttpStatusError,
    RedirectError,
    ResponseTooLargeError,
    UnsupportedUrlError,
)
from monitor.fetch.addresses import IPAddress
from monitor.fetch.client import EVIDENCE_HEADERS, ApiResponse, Fetcher
from monitor.fetch.transport import GuardedTransport
from tests.fetch.conftest import (
    CACHED_ETAG,
    CACHED_LAST_MODIFIED,
    FEED_XML,
    HUGE_BODY_LIMIT,
    PAGE_HTML,
    PUBLIC_ADDRESS,
    RoutedBackend,
    TestWeb,
    make_settings,
    png_bytes,
    redirect,
    respond,
)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(make_settings()) as fetcher:
        yield fetcher


def public_fetcher(web: TestWeb, **overrides: Any) -> tuple[Fetcher, RoutedBackend]:
    """A fetcher that refuses private addresses, reaching `web` as http://web.test:PORT/."""

    async def resolve(host: str, port: int) -> Sequence[IPAddress]:
        from ipaddress import ip_address

        return [ip_address(PUBLIC_ADDRESS)]

    backend = RoutedBackend({PUBLIC_ADDRESS: web.port})
    transport = GuardedTransport(allow_private=False, resolver=resolve, inner_backend=backend)
    settings = make_settings(allow_private_addresses=False, **overrides)
    return Fetcher(settings, transport=transport), backend


# --- plain fetches -------------------------------------------------------------------------


async def test_page_arrives_with_only_the_evidence_headers(
    fetcher: Fetcher, test_web: TestWeb
) -> None:
    before = datetime.now(UTC)
    result = await fetcher.fetch_page(test_web.url("/page"))

    assert result.status == 200
    assert result.body == PAGE_HTML
    assert result.url == result.final_url == test_web.url("/page")
    assert not result.not_modified
    assert set(result.headers) <= set(EVIDENCE_HEADERS)
    assert {"date", "server", "content-type", "content-length", "etag"} <= set(result.headers)
    assert "x-secret" not in result.headers
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.headers["content-length"] == str(len(PAGE_HTML))
    assert result.etag == '"page-1"'
    assert result.last_modified == CACHED_LAST_MODIFIED
    assert result.fetched_at.tzinfo is UTC
    assert before <= result.fetched_at <= datetime.now(UTC) + timedelta(seconds=1)


async def test_requests_carry_user_agent_and_accept_headers(
    fetcher: Fetcher, test_web: TestWeb
) -> None:
    await fetcher.fetch_page(test_web.url("/page"))
    await fetcher.fetch_image(test_web.url("/image.png"))
    await fetcher.fetch_feed(test_web.url("/feed.xml"))

    page, image, feed = (request.headers for request in test_web.requests)
    assert page["user-agent"] == make_settings().user_agent
    assert page["accept"].startswith("text/html")
    assert image["accept"].startswith("image/")
    assert "application/rss+xml" in feed["accept"]
    assert page["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in page


async def test_image_bytes_arrive_intact(fetcher: Fetcher, test_web: TestWeb) -> None:
    result = await fetcher.fetch_image(test_web.url("/image.png"))
    assert result.body == png_bytes()
    assert result.headers["content-type"] == "image/png"


async def test_feed_arrives(fetcher: Fetcher, test_web: TestWeb) -> None:
    result = await fetcher.fetch_feed(test_web.url("/feed.xml"))
    assert result.body == FEED_XML


async def test_each_fetch_logs_one_debug_line_without_the_body(
    fetcher: Fetcher, test_web: TestWeb, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="monitor.fetch.client"):
        await fetcher.fetch_page(test_web.url("/page"))
        with pytest.raises(HttpStatusError):
            await fetcher.fetch_page(test_web.url("/status/404"))

    records = [r for r in caplog.records if r.name == "monitor.fetch.client"]
    assert len(records) == 2
    assert "/page" in records[0].getMessage()
    assert "404" in records[1].getMessage()
    assert all("plain page" not in record.getMessage() for record in records)


# --- conditional GET --------------------------------------------------------------------------


async def test_etag_gives_not_modified(fetcher: Fetcher, test_web: TestWeb) -> None:
    first = await fetcher.fetch_page(test_web.url("/cached"))
    assert first.etag == CACHED_ETAG

    again = await fetcher.fetch_page(test_web.url("/cached"), etag=first.etag)

    assert again.not_modified
    assert again.status == 304
    assert again.body == b""
    assert again.etag == CACHED_ETAG
    assert test_web.requests[-1].headers["if-none-match"] == CACHED_ETAG


async def test_last_modified_gives_not_modified(fetcher: Fetcher, test_web: TestWeb) -> None:
    result = await fetcher.fetch_page(test_web.url("/cached"), last_modified=CACHED_LAST_MODIFIED)
    assert result.not_modified
    assert test_web.requests[-1].headers["if-modified-since"] == CACHED_LAST_MODIFIED


async def test_stale_etag_gets_the_new_page(fetcher: Fetcher, test_web: TestWeb) -> None:
    result = await fetcher.fetch_page(test_web.url("/cached"), etag='"old"')
    assert not result.not_modified
    assert result.body == PAGE_HTML


@pytest.mark.parametrize("etag", ['"caf\u00e9"', '"v1"\r\nX-Injected: 1', ""])
async def test_unusable_stored_validators_are_not_sent(
    fetcher: Fetcher, test_web: TestWeb, etag: str
) -> None:
    result = await fetcher.fetch_page(test_web.url("/cached"), etag=etag)
    assert result.body == PAGE_HTML
    assert "if-none-match" not in test_web.requests[-1].headers


async def test_unasked_304_is_an_error(fetcher: Fetcher, test_web: TestWeb) -> None:
    with pytest.raises(HttpStatusError) as caught:
        await fetcher.fetch_page(test_web.url("/always-304"))
    assert caught.value.status == 304


# --- statuses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [404, 410, 500])
async def test_error_statuses_raise_http_status_error(
    fetcher: Fetcher, test_web: TestWeb, code: int
) -> None:
    url = test_web.url(f"/status/{code}")
    with pytest.raises(HttpStatusError) as caught:
        await fetcher.fetch_page(url)
    assert caught.value.status == code
    assert caught.value.url == url


# --- redirects --------------------------------------------------------------------------------


async def test_redirect_chain_is_followed_hop_by_hop(fetcher: Fetcher, test_web: TestWeb) -> None:
    result = await fetcher.fetch_page(test_web.url("/chain/3"))

    assert result.body == PAGE_HTML
    assert result.url == test_web.url("/chain/3")
    assert result.final_url == test_web.url("/page")
    assert test_web.paths() == ["/chain/3", "/chain/2", "/chain/1", "/chain/0", "/page"]


@pytest.mark.parametrize("path", ["/redirect/303", "/redirect/307"])
async def test_other_redirect_statuses(fetcher: Fetcher, test_web: TestWeb, path: str) -> None:
    result = await fetcher.fetch_page(test_web.url(path))
    assert result.final_url == test_web.url("/page")


async def test_too_many_redirects(test_web: TestWeb) -> None:
    async with Fetcher(make_settings(max_redirects=3)) as fetcher:
        with pytest.raises(RedirectError, match="more than 3 redirects"):
            await fetcher.fetch_page(test_web.url("/chain/3"))
    assert len(test_web.requests) == 4


async def test_no_redirects_allowed(test_web: TestWeb) -> None:
    async with Fetcher(make_settings(max_redirects=0)) as fetcher:
        with pytest.raises(RedirectError):
            await fetcher.fetch_page(test_web.url("/redirect/303"))


@pytest.mark.parametrize("path", ["/redirect/loop-a", "/redirect/self"])
async def test_redirect_loops_are_caught(fetcher: Fetcher, test_web: TestWeb, path: str) -> None:
    with pytest.raises(RedirectError, match="loop"):
        await fetcher.fetch_page(test_web.url(path))
    assert len(test_web.requests) <= 2


async def test_redirect_without_location(fetcher: Fetcher, test_web: TestWeb) -> None:
    with pytest.raises(RedirectError, match="without a Location"):
        await fetcher.fetch_page(test_web.url("/redirect/no-location"))


@pytest.mark.parametrize(
    "location", [":https://[7", "https://xn--", "b:http://\u00df#[%2e-", "http://[::1]:80:80/"]
)
async def test_redirect_to_an_unusable_url(
    fetcher: Fetcher, test_web: TestWeb, location: str
) -> None:
    test_web.routes["/redirect/unusable"] = redirect(302, location)
    with pytest.raises(RedirectError, match="redirect to an unusable URL"):
        await fetcher.fetch_page(test_web.url("/redirect/unusable"))


async def test_redirect_to_a_file_url_is_refused(fetcher: Fetcher, test_web: TestWeb) -> None:
    url = test_web.url("/redirect/file")
    with pytest.raises(UnsupportedUrlError) as caught:
        await fetcher.fetch_page(url)
    assert caught.value.url == url
    assert "redirect to file:/etc/passwd" in caught.value.reason


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ("/redirect/metadata", "169.254.169.254"),
        ("/redirect/loopback-spelled-oddly", "0x7f.1 (127.0.0.1)"),
    ],
)
async def test_redirect_to_a_private_address_is_refused_before_connecting(
    test_web: TestWeb, path: str, refused: str
) -> None:
    fetcher, backend = public_fetcher(test_web)
    async with fetcher:
        with pytest.raises(BlockedAddressError) as caught:
            await fetcher.fetch_page(f"http://web.test:{test_web.port}{path}")
    assert refused in caught.value.reason
    assert "fetch.allow_private_addresses" in caught.value.reason
    assert backend.connected == [(PUBLIC_ADDRESS, test_web.port)]  # only the first hop


async def test_public_fetcher_reaches_the_test_web(test_web: TestWeb) -> None:
    fetcher, _ = public_fetcher(test_web)
    async with fetcher:
        result = await fetcher.fetch_page(f"http://web.test:{test_web.port}/redirect/303")
    assert result.body == PAGE_HTML
    assert result.final_url == f"http://web.test:{test_web.port}/page"
    assert test_web.requests[0].headers["host"] == f"web.test:{test_web.port}"


# --- refused URLs -----------------------------------------------------------------------------


async def test_loopback_is_refused_before_any_connection(test_web: TestWeb) -> None:
    async with Fetcher(make_settings(allow_private_addresses=False)) as fetcher:
        with pytest.raises(BlockedAddressError, match=r"127\.0\.0\.1"):
            await fetcher.fetch_page(test_web.url("/page"))
    assert test_web.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/x",
        "data:image/png;base64,AAAA",
        "javascript:alert(1)",
        "http://user:pass@example.com/",
        "http:///no-host",
    ],
)
async def test_unsupported_urls(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(UnsupportedUrlError):
        await fetcher.fetch_image(url)


# --- size caps --------------------------------------------------------------------------------


async def test_endless_body_is_cut_off_at_the_cap(test_web: TestWeb) -> None:
    cap = 256 * 1024
    async with Fetcher(make_settings(max_page_bytes=cap)) as fetcher:
        with pytest.raises(ResponseTooLargeError, match=r"fetch\.max_page_bytes"):
            await fetcher.fetch_page(test_web.url("/huge"))
    assert test_web.finished_event("/huge").wait(5), "the server kept streaming"
    assert test_web.sent_bytes["/huge"] < HUGE_BODY_LIMIT // 8


async def test_image_cap_is_its_own(test_web: TestWeb) -> None:
    async with Fetcher(make_settings(max_image_bytes=100)) as fetcher:
        with pytest.raises(ResponseTooLargeError, match=r"fetch\.max_image_bytes"):
            await fetcher.fetch_image(test_web.url("/image.png"))
        assert (await fetcher.fetch_page(test_web.url("/image.png"))).body == png_bytes()


async def test_declared_length_over_the_cap_is_refused_at_once(
    fetcher: Fetcher, test_web: TestWeb
) -> None:
    with pytest.raises(ResponseTooLargeError, match="Content-Length 1000000000000"):
        await fetcher.fetch_page(test_web.url("/lying/over-cap"))


async def test_body_longer_than_declared_is_not_read_past_the_length(
    fetcher: Fetcher, test_web: TestWeb
) -> None:
    result = await fetcher.fetch_page(test_web.url("/lying/short"))
    assert result.body == b"0123456789"


async def test_body_shorter_than_declared_is_an_error(fetcher: Fetcher, test_web: TestWeb) -> None:
    with pytest.raises(FetchError, match="without sending complete message body"):
        await fetcher.fetch_page(test_web.url("/lying/long"))


async def test_gzip_bomb_is_stopped_at_the_cap_of_decoded_bytes(test_web: TestWeb) -> None:
    cap = 1_000_000
    async with Fetcher(make_settings(max_page_bytes=cap)) as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError):
                await fetcher.fetch_page(test_web.url("/gzip-bomb"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * cap  # 64 MiB inflated would be 67 MB


@pytest.mark.parametrize("path", ["/gzip-page", "/deflate-page", "/raw-deflate-page"])
async def test_compressed_bodies_are_decoded(
    fetcher: Fetcher, test_web: TestWeb, path: str
) -> None:
    result = await fetcher.fetch_page(test_web.url(path))
    assert result.body == PAGE_HTML


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/double-gzip", "unsupported Content-Encoding 'gzip, gzip'"),
        ("/brotli", "unsupported Content-Encoding 'br'"),
        ("/corrupt-gzip", "corrupt"),
    ],
)
async def test_unusable_encodings_are_refused(
    fetcher: Fetcher, test_web: TestWeb, path: str, reason: str
) -> None:
    with pytest.raises(FetchError, match=reason):
        await fetcher.fetch_page(test_web.url(path))


# --- time and broken servers ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/trickle", "/hang"])
async def test_slow_servers_hit_the_total_deadline(test_web: TestWeb, path: str) -> None:
    async with Fetcher(make_settings(total_timeout=1.2)) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError, match=r"fetch\.total_timeout"):
            await fetcher.fetch_page(test_web.url(path))
        assert 1.0 < time.monotonic() - started < 3.0
        assert (await fetcher.fetch_page(test_web.url("/page"))).status == 200  # still usable


async def test_server_that_never_reads_hits_the_deadline(silent_port: int) -> None:
    async with Fetcher(make_settings(total_timeout=0.8)) as fetcher:
        with pytest.raises(FetchTimeoutError):
            await fetcher.fetch_page(f"http://127.0.0.1:{silent_port}/")


async def test_connection_refused(fetcher: Fetcher, closed_port: int) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch_page(f"http://127.0.0.1:{closed_port}/")
    assert caught.value.reason == "connection refused"


async def test_connection_reset(fetcher: Fetcher, test_web: TestWeb) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch_page(test_web.url("/reset"))
    assert caught.value.reason == "connection reset"


@pytest.mark.parametrize("path", ["/endless-headers", "/garbage"])
async def test_broken_responses_fail_quickly(
    fetcher: Fetcher, test_web: TestWeb, path: str
) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="invalid or incomplete response"):
        await fetcher.fetch_page(test_web.url(path))
    assert time.monotonic() - started < 3.0


# --- politeness -------------------------------------------------------------------------------


class Recorder:
    """A MockTransport handler that holds each request a while and records starts and overlap."""

    def __init__(self, hold: float = 0.0) -> None:
        self.hold = hold
        self.starts: list[tuple[str, float]] = []
        self.in_flight: dict[str, int] = {}
        self.peak_per_host: dict[str, int] = {}
        self.peak_overall = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        self.starts.append((host, time.monotonic()))
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.peak_per_host[host] = max(self.peak_per_host.get(host, 0), self.in_flight[host])
        self.peak_overall = max(self.peak_overall, sum(self.in_flight.values()))
        try:
            await asyncio.sleep(self.hold)
        finally:
            self.in_flight[host] -= 1
        if request.url.path == "/missing":
            return httpx.Response(404)
        return httpx.Response(200, content=b"ok")


def mock_fetcher(recorder: Recorder, **overrides: Any) -> Fetcher:
    settings = make_settings(allow_private_addresses=False, **overrides)
    return Fetcher(settings, transport=httpx.MockTransport(recorder))


async def test_starts_to_one_host_are_spaced_but_other_hosts_are_not_held_up() -> None:
    recorder = Recorder()
    async with mock_fetcher(recorder, per_host_delay=0.25, per_host_concurrency=4) as fetcher:
        began = time.monotonic()
        await asyncio.gather(
            *(fetcher.fetch_page(f"http://a.test/{n}") for n in range(4)),
            fetcher.fetch_page("http://b.test/"),
        )

    a_starts = sorted(at for host, at in recorder.starts if host == "a.test")
    gaps = [later - earlier for earlier, later in itertools.pairwise(a_starts)]
    assert min(gaps) >= 0.2, gaps
    (b_start,) = (at for host, at in recorder.starts if host == "b.test")
    assert b_start - began < 0.2


async def test_per_host_concurrency_is_bounded() -> None:
    recorder = Recorder(hold=0.1)
    async with mock_fetcher(recorder, per_host_concurrency=2) as fetcher:
        await asyncio.gather(*(fetcher.fetch_page(f"http://a.test/{n}") for n in range(6)))
    assert recorder.peak_per_host["a.test"] == 2


async def test_overall_concurrency_is_bounded() -> None:
    recorder = Recorder(hold=0.1)
    async with mock_fetcher(recorder, concurrency=3) as fetcher:
        await asyncio.gather(*(fetcher.fetch_page(f"http://h{n}.test/") for n in range(8)))
    assert recorder.peak_overall == 3


async def test_waiting_for_a_polite_turn_does_not_count_against_the_deadline() -> None:
    recorder = Recorder()
    async with mock_fetcher(recorder, per_host_delay=0.4, total_timeout=0.3) as fetcher:
        results = await asyncio.gather(
            *(fetcher.fetch_page(f"http://a.test/{n}") for n in range(3))
        )
    assert [result.status for result in results] == [200, 200, 200]


async def test_failed_requests_give_their_turn_back() -> None:
    recorder = Recorder()
    async with mock_fetcher(recorder, per_host_concurrency=1, concurrency=1) as fetcher:
        for _ in range(3):
            with pytest.raises(HttpStatusError):
                await fetcher.fetch_page("http://a.test/missing")
        assert (await fetcher.fetch_page("http://a.test/")).status == 200


# --- web APIs ---------------------------------------------------------------------------------

API_KEY = "k-3f9a7e-secret"


def api_route(
    status: int, body: bytes, *, headers: tuple[tuple[str, str], ...] = ()
) -> tuple[list[str], Any]:
    """A route that answers like an API and records the full path (query included) it got."""
    seen: list[str] = []

    def route(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
        seen.append(request.path)
        respond(request, status, body, content_type="application/json", headers=headers)

    return seen, route


async def test_api_get_sends_params_and_headers_and_returns_all_headers(
    fetcher: Fetcher, test_web: TestWeb
) -> None:
    seen, route = api_route(200, b'{"ok": true}', headers=(("X-RateLimit-Remaining", "41"),))
    test_web.routes["/api/search.json"] = route

    response = await fetcher.call_api(
        "GET",
        test_web.url("/api/search.json"),
        params={"engine": "google_lens", "url": "https://a.example/x.jpg?s=1", "api_key": API_KEY},
        headers={"X-Api-Key": API_KEY},
    )

    assert isinstance(response, ApiResponse)
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert response.url == test_web.url("/api/search.json")
    assert response.headers["x-ratelimit-remaining"] == "41"
    assert response.headers["content-type"] == "application/json"
    assert response.fetched_at.tzinfo is UTC
    [path] = seen
    assert "engine=google_lens" in path
    assert "url=https%3A%2F%2Fa.example%2Fx.jpg%3Fs%3D1" in path
    assert f"api_key={API_KEY}" in path
    sent = test_web.requests[-1].headers
    assert sent["x-api-key"] == API_KEY
    assert sent["accept"] == "application/json"
    assert sent["user-agent"] == make_settings().user_agent


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (401, b'{"error": "Invalid API key."}', ()),
        (429, b'{"error": "Too many requests."}', (("Retry-After", "30"),)),
        (402, b'{"code": 402, "messages": ["No more searches."]}', ()),
        (503, b"<html>upstream down</html>", ()),
    ],
)
async def test_api_error_statuses_come_back_with_their_body(
    fetcher: Fetcher,
    test_web: TestWeb,
    status: int,
    body: bytes,
    headers: tuple[tuple[str, str], ...],
) -> None:
    _seen, route = api_route(status, body, headers=headers)
    test_web.routes["/api/x"] = route
    response = await fetcher.call_api("GET", test_web.url("/api/x"), params={"q": "a"})
    assert response.status == status
    assert response.body == body
    for name, value in headers:
        assert response.headers[name.lower()] == value


@pytest.mark.parametrize(
    "body", [b"<html>not json</html>", b"", b'{"unterminated": ', b"[" * 100_000, b"\xff\xfe"]
)
async def test_malformed_json_is_a_fetch_error_without_the_query(
    fetcher: Fetcher, test_web: TestWeb, body: bytes
) -> None:
    _seen, route = api_route(200, body)
    test_web.routes["/api/bad"] = route
    response = await fetcher.call_api("GET", test_web.url("/api/bad"), params={"api_key": API_KEY})
    with pytest.raises(FetchError, match="malformed JSON from the API") as caught:
        response.json()
    assert caught.value.url == test_web.url("/api/bad")
    assert API_KEY not in str(caught.value)


async def test_api_logs_and_errors_never_show_the_query_or_headers(
    test_web: TestWeb, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    _seen, route = api_route(200, b"{}")
    test_web.routes["/api/ok"] = route
    with caplog.at_level(logging.DEBUG, logger="monitor.fetch.client"):
        async with Fetcher(make_settings()) as fetcher:
            await fetcher.call_api(
                "GET", test_web.url("/api/ok"), params={"api_key": API_KEY}, auth=("u", API_KEY)
            )
            with pytest.raises(FetchError) as refused:
                await fetcher.call_api(
                    "GET", f"http://127.0.0.1:{closed_port}/api", params={"api_key": API_KEY}
                )
        async with Fetcher(make_settings(allow_private_addresses=False)) as strict:
            with pytest.raises(BlockedAddressError) as blocked:
                await strict.call_api("GET", f"http://127.0.0.1/api?api_key={API_KEY}")

    messages = [record.getMessage() for record in caplog.records]
    assert any("/api/ok" in message and "200" in message for message in messages)
    assert all(API_KEY not in message and "?" not in message for message in messages)
    for error in (refused.value, blocked.value):
        assert API_KEY not in str(error)
        assert "?" not in error.url


async def test_api_body_is_capped_while_streaming(test_web: TestWeb) -> None:
    async with Fetcher(make_settings(max_page_bytes=100_000)) as fetcher:
        with pytest.raises(ResponseTooLargeError, match=r"fetch\.max_page_bytes"):
            await fetcher.call_api("GET", test_web.url("/huge"))
    assert test_web.sent_bytes.get("/huge", 0) < HUGE_BODY_LIMIT


async def test_api_call_hits_the_total_deadline(test_web: TestWeb) -> None:
    async with Fetcher(make_settings(total_timeout=0.5)) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError):
            await fetcher.call_api("GET", test_web.url("/hang"), params={"api_key": API_KEY})
    assert time.monotonic() - started < 3


async def test_api_get_follows_redirects_with_every_hop_checked(
    fetcher: Fetcher, test_web: TestWeb
) -> None:
    followed = await fetcher.call_api("GET", test_web.url("/redirect/303"))
    assert followed.status == 200
    assert followed.url == test_web.url("/page")

    with pytest.raises(BlockedAddressError, match=r"169\.254\.169\.254") as caught:
        await fetcher.call_api(
            "GET", test_web.url("/redirect/metadata"), params={"api_key": API_KEY}
        )
    assert API_KEY not in str(caught.value)


class ApiRecorder:
    """A MockTransport handler that records each request and answers from a table."""

    def __init__(self, answers: dict[str, httpx.Response]) -> None:
        self.answers = answers
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.answers.get(str(request.url.copy_with(query=None)), httpx.Response(404))


async def test_api_post_sends_form_data_and_basic_auth_and_does_not_follow_redirects() -> None:
    recorder = ApiRecorder(
        {
            "https://api.test/token": httpx.Response(200, json={"access_token": "t"}),
            "https://api.test/moved": httpx.Response(
                302, headers={"location": "https://elsewhere.test/"}, content=b"moved"
            ),
        }
    )
    async with mock_api_fetcher(recorder) as fetcher:
        token = await fetcher.call_api(
            "POST",
            "https://api.test/token",
            data={"grant_type": "client_credentials"},
            auth=("client-id", API_KEY),
        )
        moved = await fetcher.call_api("POST", "https://api.test/moved", data={"a": "b"})

    assert token.status == 200
    assert token.json() == {"access_token": "t"}
    first = recorder.requests[0]
    assert first.method == "POST"
    assert first.content == b"grant_type=client_credentials"
    assert first.headers["content-type"] == "application/x-www-form-urlencoded"
    expected = base64.b64encode(f"client-id:{API_KEY}".encode()).decode()
    assert first.headers["authorization"] == f"Basic {expected}"
    assert moved.status == 302
    assert moved.body == b"moved"
    assert [str(request.url) for request in recorder.requests] == [
        "https://api.test/token",
        "https://api.test/moved",
    ]


async def test_api_credentials_never_follow_a_redirect_to_another_origin() -> None:
    recorder = ApiRecorder(
        {
            "https://api.test/v1": httpx.Response(
                302, headers={"location": "https://cdn.test/v1-result"}
            ),
            "https://cdn.test/v1-result": httpx.Response(200, content=json.dumps([1]).encode()),
        }
    )
    async with mock_api_fetcher(recorder) as fetcher:
        response = await fetcher.call_api(
            "GET",
            "https://api.test/v1",
            params={"q": "x"},
            headers={"X-Api-Key": API_KEY},
            auth=("user", API_KEY),
        )
    assert response.json() == [1]
    assert response.url == "https://cdn.test/v1-result"
    first, second = recorder.requests
    assert first.headers["x-api-key"] == API_KEY
    assert "authorization" in first.headers
    assert "x-api-key" not in second.headers
    assert "authorization" not in second.headers
    assert second.url.query == b""


async def test_api_calls_wait_for_their_polite_turn() -> None:
    recorder = Recorder()
    async with mock_fetcher(recorder, per_host_delay=0.25) as fetcher:
        await asyncio.gather(
            *(fetcher.call_api("GET", "http://a.test/api", params={"n": str(n)}) for n in range(3))
        )
    starts = sorted(at for _host, at in recorder.starts)
    assert min(later - earlier for earlier, later in itertools.pairwise(starts)) >= 0.2


async def test_api_method_must_be_get_or_post(fetcher: Fetcher) -> None:
    with pytest.raises(ValueError, match="GET or POST"):
        await fetcher.call_api("DELETE", "http://a.test/x")  # type: ignore[arg-type]


def mock_api_fetcher(recorder: ApiRecorder) -> Fetcher:
    settings = make_settings(allow_private_addresses=False)
    return Fetcher(settings, transport=httpx.MockTransport(recorder))
