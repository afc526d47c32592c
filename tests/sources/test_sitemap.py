"""The sitemap source against a real loopback server: indexes, image sitemaps, .gz files,
robots.txt discovery, lastmod changes across polls, and hostile sitemaps."""

from __future__ import annotations

import contextlib
import gzip
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import ValidationError

from monitor.errors import FeedError, HttpStatusError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.sources.base import Candidate, MemorySourceState, SourceContext
from monitor.sources.sitemap import MAX_INDEX_DEPTH, SitemapSource, SitemapSourceConfig
from monitor.sources.sitemap_memory import MAX_REMEMBERED_URLS, SitemapMemory
from monitor.sources.sitemapparse import SitemapEntry

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
IMAGE_NS = 'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'
NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)


@dataclass
class Response:
    body: bytes
    content_type: str = "application/xml"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Site:
    base: str = ""
    routes: dict[str, Response] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: str | bytes, **options: Any) -> None:
        self.routes[path] = Response(body.encode() if isinstance(body, str) else body, **options)


@pytest.fixture
def site() -> Iterator[Site]:
    served = Site()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            served.requests.append(self.path)
            response = served.routes.get(self.path, Response(b"not found", "text/plain", 404))
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(response.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    served.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield served
    server.shutdown()
    server.server_close()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    settings = FetchSettings(
        allow_private_addresses=True, per_host_delay=0, per_host_concurrency=8, total_timeout=5
    )
    async with Fetcher(settings) as client:
        yield client


def urlset(*entries: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS} {IMAGE_NS}>{"".join(entries)}</urlset>'
    )


def url(loc: str, lastmod: str | None = None, *images: str) -> str:
    stamp = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    pictures = "".join(
        f"<image:image><image:loc>{image}</image:loc></image:image>" for image in images
    )
    return f"<url><loc>{loc}</loc>{stamp}{pictures}</url>"


def index(*children: tuple[str, str | None]) -> str:
    items = "".join(
        f"<sitemap><loc>{loc}</loc>{f'<lastmod>{lastmod}</lastmod>' if lastmod else ''}</sitemap>"
        for loc, lastmod in children
    )
    return f"<sitemapindex {NS}>{items}</sitemapindex>"


def make_source(
    urls: list[str], state: MemorySourceState | None = None, **overrides: object
) -> SitemapSource:
    config = SitemapSourceConfig.model_validate(
        {"kind": "sitemap", "name": "site-map", "urls": urls} | overrides
    )
    context = SourceContext(state=state if state is not None else MemorySourceState())
    return SitemapSource(config, context=context, clock=lambda: NOW)


async def poll(source: SitemapSource, fetcher: Fetcher) -> list[Candidate]:
    return [candidate async for candidate in source.poll(fetcher)]


async def collect(source: SitemapSource, fetcher: Fetcher, *, into: list[Candidate]) -> None:
    async for candidate in source.poll(fetcher):
        into.append(candidate)


def pages(candidates: list[Candidate]) -> list[str]:
    return [candidate.url for candidate in candidates if candidate.kind == "page"]


def page(address: str) -> Candidate:
    return Candidate(url=address, kind="page", source="site-map", page_url=address, depth=0)


def image(address: str, *, on: str) -> Candidate:
    return Candidate(url=address, kind="image", source="site-map", page_url=on, depth=0)


async def test_index_with_an_image_sitemap_and_a_gzip_file(site: Site, fetcher: Fetcher) -> None:
    site.serve(
        "/sitemap_index.xml",
        index(("/posts.xml", "2024-06-02"), (site.url("/pages.xml.gz"), "2024-06-03")),
    )
    site.serve(
        "/posts.xml",
        urlset(
            url(site.url("/post/old"), "2024-01-01", site.url("/img/old.jpg")),
            url(
                site.url("/post/new"),
                "2024-06-01T10:00:00+00:00",
                site.url("/img/new-1.jpg"),
                "https://cdn.example.net/new-2.webp",
            ),
        ),
    )
    site.serve(
        "/pages.xml.gz",
        gzip.compress(urlset(url(site.url("/about")), url(site.url("/contact"))).encode()),
        content_type="application/x-gzip",
    )
    candidates = await poll(make_source([site.url("/sitemap_index.xml")]), fetcher)
    assert candidates == [
        # the child with the newest lastmod first; inside a sitemap, newest pages first
        page(site.url("/about")),
        page(site.url("/contact")),
        page(site.url("/post/new")),
        image(site.url("/img/new-1.jpg"), on=site.url("/post/new")),
        image("https://cdn.example.net/new-2.webp", on=site.url("/post/new")),
        page(site.url("/post/old")),
        image(site.url("/img/old.jpg"), on=site.url("/post/old")),
    ]
    assert all(candidate.depth == 0 and candidate.pages_left == 0 for candidate in candidates)


async def test_content_encoded_sitemap_is_read(site: Site, fetcher: Fetcher) -> None:
    site.serve(
        "/sitemap.xml",
        gzip.compress(urlset(url(site.url("/a"))).encode()),
        headers={"Content-Encoding": "gzip"},
    )
    assert pages(await poll(make_source([site.url("/sitemap.xml")]), fetcher)) == [site.url("/a")]


async def test_site_root_uses_the_sitemaps_robots_txt_names(site: Site, fetcher: Fetcher) -> None:
    site.serve(
        "/robots.txt",
        f"User-agent: *\nDisallow: /admin\nSitemap: {site.url('/maps/one.xml')}\n"
        "Sitemap: /maps/two.xml\n",
        content_type="text/plain",
    )
    site.serve("/maps/one.xml", urlset(url(site.url("/1"))))
    site.serve("/maps/two.xml", urlset(url(site.url("/2"))))
    site.serve("/sitemap.xml", urlset(url(site.url("/not-this-one"))))
    candidates = await poll(make_source([site.url("/")]), fetcher)
    assert pages(candidates) == [site.url("/1"), site.url("/2")]
    assert "/sitemap.xml" not in site.requests


async def test_site_root_without_robots_txt_tries_sitemap_xml(site: Site, fetcher: Fetcher) -> None:
    site.serve("/sitemap.xml", urlset(url(site.url("/only"))))
    candidates = await poll(make_source([site.base]), fetcher)
    assert pages(candidates) == [site.url("/only")]
    assert site.requests == ["/robots.txt", "/sitemap.xml"]


async def test_site_root_without_any_sitemap_says_so(site: Site, fetcher: Fetcher) -> None:
    site.serve("/robots.txt", "User-agent: *\nDisallow:\n", content_type="text/plain")
    with pytest.raises(FeedError, match=r"no sitemap found: robots\.txt names none") as caught:
        await poll(make_source([site.url("/")]), fetcher)
    assert "HTTP status 404" in str(caught.value)
    assert "put the sitemap's address in `urls`" in str(caught.value)


async def test_only_new_or_changed_urls_on_later_polls(site: Site, fetcher: Fetcher) -> None:
    state = MemorySourceState()
    site.serve(
        "/sitemap.xml",
        urlset(
            url(site.url("/a"), "2024-06-01"),
            url(site.url("/b"), "2024-06-01", site.url("/b.jpg")),
            url(site.url("/no-lastmod")),
        ),
    )
    first = await poll(make_source([site.url("/sitemap.xml")], state), fetcher)
    assert pages(first) == [site.url("/a"), site.url("/b"), site.url("/no-lastmod")]
    assert await poll(make_source([site.url("/sitemap.xml")], state), fetcher) == []

    site.serve(
        "/sitemap.xml",
        urlset(
            url(site.url("/a"), "2024-06-01"),
            url(site.url("/b"), "2024-06-20T08:00:00Z", site.url("/b.jpg"), site.url("/b2.jpg")),
            url(site.url("/no-lastmod")),
            url(site.url("/c")),
        ),
    )
    third = await poll(make_source([site.url("/sitemap.xml")], state), fetcher)
    assert third == [
        page(site.url("/b")),
        image(site.url("/b.jpg"), on=site.url("/b")),
        image(site.url("/b2.jpg"), on=site.url("/b")),
        page(site.url("/c")),
    ]
    remembered = state.load("site-map")["urls"]
    assert remembered[site.url("/b")] == [
        int(datetime(2024, 6, 20, 8, tzinfo=UTC).timestamp()),
        int(NOW.timestamp()),
    ]
    assert remembered[site.url("/no-lastmod")] == [None, int(NOW.timestamp())]


async def test_unchanged_index_children_are_not_fetched_again(site: Site, fetcher: Fetcher) -> None:
    state = MemorySourceState()
    site.serve("/index.xml", index(("/a.xml", "2024-06-01"), ("/b.xml", "2024-06-01")))
    site.serve("/a.xml", urlset(url(site.url("/a1"))))
    site.serve("/b.xml", urlset(url(site.url("/b1"))))
    await poll(make_source([site.url("/index.xml")], state), fetcher)
    site.requests.clear()

    site.serve("/index.xml", index(("/a.xml", "2024-06-01"), ("/b.xml", "2024-06-05")))
    site.serve("/b.xml", urlset(url(site.url("/b1")), url(site.url("/b2"))))
    candidates = await poll(make_source([site.url("/index.xml")], state), fetcher)
    assert pages(candidates) == [site.url("/b2")]
    assert site.requests == ["/index.xml", "/b.xml"]


async def test_max_urls_leaves_the_rest_for_the_next_sweep(site: Site, fetcher: Fetcher) -> None:
    state = MemorySourceState()
    site.serve("/index.xml", index(("/a.xml", "2024-06-01")))
    site.serve("/a.xml", urlset(*(url(site.url(f"/p{n}"), f"2024-05-0{n}") for n in range(1, 6))))
    first = await poll(make_source([site.url("/index.xml")], state, max_urls=3), fetcher)
    assert pages(first) == [site.url("/p5"), site.url("/p4"), site.url("/p3")]
    second = await poll(make_source([site.url("/index.xml")], state, max_urls=3), fetcher)
    assert pages(second) == [site.url("/p2"), site.url("/p1")]
    site.requests.clear()
    # now every URL of /a.xml was handed on, its unchanged lastmod means nothing to fetch
    assert await poll(make_source([site.url("/index.xml")], state, max_urls=3), fetcher) == []
    assert site.requests == ["/index.xml"]


async def test_bad_children_are_skipped_and_the_rest_goes_on(
    site: Site, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><urlset><url><loc>&b;</loc></url></urlset>'
    )
    site.serve(
        "/index.xml",
        index(
            ("/index.xml", None),  # lists itself
            ("/html.xml", None),
            ("/laughs.xml", None),
            ("/missing.xml", None),
            ("/bomb.xml.gz", None),
            ("/garbage.xml", None),
            ("/good.xml", None),
        ),
    )
    site.serve(
        "/html.xml", "<!DOCTYPE html><html><body>Sorry</body></html>", content_type="text/html"
    )
    site.serve("/laughs.xml", laughs)
    site.serve("/bomb.xml.gz", gzip.compress(b"<urlset>" + b" " * 60_000_000, compresslevel=9))
    site.serve("/garbage.xml", bytes(range(256)) * 4)
    site.serve("/good.xml", urlset(url(site.url("/fine"))))
    with caplog.at_level(logging.WARNING, logger="monitor.sources.sitemap"):
        candidates = await poll(make_source([site.url("/index.xml")]), fetcher)
    assert pages(candidates) == [site.url("/fine")]
    assert site.requests.count("/index.xml") == 1
    skipped = "\n".join(record.getMessage() for record in caplog.records)
    for reason in (
        "HTML page",
        "declares XML entities",
        "HTTP status 404",
        "more than 52428800 bytes",
        "neither XML nor URLs",
    ):
        assert reason in skipped


async def test_an_index_whose_children_all_fail_fails(site: Site, fetcher: Fetcher) -> None:
    site.serve("/index.xml", index(("/gone-1.xml", None), ("/gone-2.xml", None)))
    with pytest.raises(HttpStatusError, match=r"gone-1\.xml: HTTP status 404"):
        await poll(make_source([site.url("/index.xml")]), fetcher)


async def test_endless_chain_of_indexes_stops_at_the_depth_limit(
    site: Site, fetcher: Fetcher
) -> None:
    for level in range(20):
        site.serve(f"/idx/{level}.xml", index((f"/idx/{level + 1}.xml", None)))
    candidates = await poll(make_source([site.url("/idx/0.xml")]), fetcher)
    assert candidates == []
    assert len(site.requests) == MAX_INDEX_DEPTH + 1


async def test_wide_index_stops_at_max_sitemaps(site: Site, fetcher: Fetcher) -> None:
    site.serve("/index.xml", index(*((f"/s{n}.xml", None) for n in range(50))))
    for n in range(50):
        site.serve(f"/s{n}.xml", urlset(url(site.url(f"/p{n}"))))
    candidates = await poll(make_source([site.url("/index.xml")], max_sitemaps=5), fetcher)
    assert pages(candidates) == [site.url(f"/p{n}") for n in range(4)]
    assert len(site.requests) == 5


async def test_a_bad_configured_sitemap_fails_the_sweep_after_the_good_ones(
    site: Site, fetcher: Fetcher
) -> None:
    state = MemorySourceState()
    site.serve("/page.html", "<html><body>not a sitemap</body></html>", content_type="text/html")
    site.serve("/sitemap.xml", urlset(url(site.url("/good"))))
    source = make_source([site.url("/page.html"), site.url("/sitemap.xml")], state)
    seen: list[Candidate] = []
    with pytest.raises(FeedError, match="not a sitemap: the response is an HTML page"):
        await collect(source, fetcher, into=seen)
    assert pages(seen) == [site.url("/good")]
    assert site.url("/good") in state.load("site-map")["urls"], "the good part is remembered"


async def test_corrupt_state_is_ignored(site: Site, fetcher: Fetcher) -> None:
    state = MemorySourceState()
    state.save("site-map", {"version": 1, "urls": {"x": "y", "z": [1, "2"]}, "sitemaps": [1]})
    site.serve("/sitemap.xml", urlset(url(site.url("/a"))))
    candidates = await poll(make_source([site.url("/sitemap.xml")], state), fetcher)
    assert pages(candidates) == [site.url("/a")]


def test_memory_is_bounded_and_forgets_the_oldest() -> None:
    memory = SitemapMemory()
    extra = 10
    for n in range(MAX_REMEMBERED_URLS + extra):
        entry = SitemapEntry(url=f"https://a.example/{n}", lastmod=None)
        memory.remember(entry, at=datetime.fromtimestamp(1_700_000_000 + n, UTC))
    state = memory.to_state()
    assert len(state["urls"]) == MAX_REMEMBERED_URLS
    assert "https://a.example/0" not in state["urls"]
    assert f"https://a.example/{MAX_REMEMBERED_URLS + extra - 1}" in state["urls"]
    assert len(SitemapMemory.from_state(state)) == MAX_REMEMBERED_URLS


def test_config_defaults_and_errors() -> None:
    source = make_source(["https://a.example/sitemap.xml"])
    assert (source.name, source.kind) == ("site-map", "sitemap")
    assert source.config.max_urls == 500
    for overrides, location in [
        ({"urls": []}, ("urls",)),
        ({"urls": ["file:///etc/sitemap.xml"]}, ("urls", 0)),
        ({"max_urls": 0}, ("max_urls",)),
        ({"max_sitemaps": 0}, ("max_sitemaps",)),
        ({"every": "often"}, ("every",)),
        ({"depth": 1}, ("depth",)),
    ]:
        with pytest.raises(ValidationError) as caught:
            SitemapSourceConfig.model_validate(
                {"kind": "sitemap", "name": "m", "urls": ["https://a.example/"]} | overrides
            )
        assert caught.value.errors()[0]["loc"] == location
