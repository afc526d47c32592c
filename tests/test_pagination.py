"""A `pages` source follows a gallery's next-page links, at the same depth, up to `max_pages`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from monitor.config import Settings
from monitor.demo.pictures import ALTERATIONS, draw_picture, encode
from monitor.demo.server import ServedWeb, serve_web
from monitor.demo.site import Route
from monitor.fingerprint import fingerprint_enrolled
from monitor.service import running_monitor
from monitor.store import Database, open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.sightings import list_sightings

ENROLLED_SEEDS = (31, 32, 33)
UNRELATED_SEEDS = (101, 102, 103, 104)


def _html(body: str, head: str = "") -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def _jpeg(seed: int, alteration: str | None = None) -> Route:
    picture = draw_picture(seed)
    if alteration is not None:
        picture = ALTERATIONS[alteration](picture)
    return Route("image/jpeg", encode(picture))


def gallery_routes() -> dict[str, Route]:
    """Four gallery pages, each pointing at the next another way; copies on pages 3 and 4, and
    on a detail page that only page 3 links to."""
    return {
        "/gallery/": Route(
            "text/html",
            _html(
                '<img src="/img/u1.jpg"><a href="/about/">About</a>',
                head='<link rel="next" href="/gallery/page/2/">',
            ),
        ),
        "/gallery/page/2/": Route(
            "text/html",
            _html('<img src="/img/u2.jpg"><a href="/gallery/page/3/">Next</a>'),
        ),
        "/gallery/page/3/": Route(
            "text/html",
            _html(
                '<a href="/gallery/page/2/">&laquo; Previous</a>'
                '<img src="/img/copy-1.jpg"><a href="/detail/7/">details</a>'
                '<a rel="next" href="/gallery/page/4/">&rsaquo;</a>'
            ),
        ),
        "/gallery/page/4/": Route(
            "text/html",
            _html('<a href="/gallery/page/3/">Previous</a><img src="/img/copy-2.jpg">'),
        ),
        "/detail/7/": Route("text/html", _html('<img src="/img/copy-3.jpg">')),
        "/about/": Route("text/html", _html('<img src="/img/u3.jpg">')),
        "/img/u1.jpg": _jpeg(UNRELATED_SEEDS[0]),
        "/img/u2.jpg": _jpeg(UNRELATED_SEEDS[1]),
        "/img/u3.jpg": _jpeg(UNRELATED_SEEDS[2]),
        "/img/copy-1.jpg": _jpeg(ENROLLED_SEEDS[0], "reencoded"),
        "/img/copy-2.jpg": _jpeg(ENROLLED_SEEDS[1], "resized"),
        "/img/copy-3.jpg": _jpeg(ENROLLED_SEEDS[2], "bordered"),
    }


@pytest.fixture
def gallery() -> Iterator[ServedWeb]:
    with serve_web(ServedWeb(routes=gallery_routes())) as web:
        yield web


def _settings(storage_url: str, base: str, *, max_pages: int, depth: int) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": storage_url},
            "fetch": {
                "allow_private_addresses": True,
                "per_host_delay": 0,
                "per_host_concurrency": 8,
                "total_timeout": 5.0,
            },
            "sources": [
                {
                    "name": "gallery",
                    "kind": "pages",
                    "urls": [f"{base}/gallery/"],
                    "depth": depth,
                    "max_pages": max_pages,
                }
            ],
        }
    )


def _enrolled_database(settings: Settings) -> Database:
    db = open_database(settings.storage.url)
    add_client(db, client_id="c1")
    for seed in ENROLLED_SEEDS:
        original = encode(draw_picture(seed), quality=92)
        enroll_item(
            db,
            client_id="c1",
            hashes=fingerprint_enrolled(original, max_pixels=10**8),
            sha256=hashlib.sha256(original).hexdigest(),
            origin="image",
        )
    return db


async def _sighted_paths(settings: Settings, base: str) -> set[str]:
    db = _enrolled_database(settings)
    try:
        async with running_monitor(settings) as monitor:
            report = await monitor.scan()
        assert [sweep.error for sweep in report.sweeps] == [None]
        return {sighting.image_url.removeprefix(base) for sighting in list_sightings(db)}
    finally:
        db.dispose()


def _gallery_pages(web: ServedWeb) -> list[str]:
    return sorted(path for path in web.requests if path.startswith("/gallery/"))


async def test_pages_past_the_first_are_followed(storage_url: str, gallery: ServedWeb) -> None:
    settings = _settings(storage_url, gallery.base_url, max_pages=10, depth=0)
    sighted = await _sighted_paths(settings, gallery.base_url)
    assert sighted == {"/img/copy-1.jpg", "/img/copy-2.jpg"}
    assert _gallery_pages(gallery) == [
        "/gallery/",
        "/gallery/page/2/",
        "/gallery/page/3/",
        "/gallery/page/4/",
    ]
    assert "/about/" not in gallery.requests, "depth 0: pagination is not a hop deeper"
    assert "/detail/7/" not in gallery.requests


async def test_the_page_limit_is_honoured(storage_url: str, gallery: ServedWeb) -> None:
    settings = _settings(storage_url, gallery.base_url, max_pages=2, depth=0)
    sighted = await _sighted_paths(settings, gallery.base_url)
    assert sighted == set()
    assert _gallery_pages(gallery) == ["/gallery/", "/gallery/page/2/"]


async def test_pagination_keeps_the_depth(storage_url: str, gallery: ServedWeb) -> None:
    settings = _settings(storage_url, gallery.base_url, max_pages=10, depth=1)
    sighted = await _sighted_paths(settings, gallery.base_url)
    # page 3 is reached with depth 1 still, so its link to the detail page is followed
    assert sighted == {"/img/copy-1.jpg", "/img/copy-2.jpg", "/img/copy-3.jpg"}
    assert gallery.requests.count("/gallery/page/3/") == 1


async def test_max_pages_of_one_turns_pagination_off(storage_url: str, gallery: ServedWeb) -> None:
    settings = _settings(storage_url, gallery.base_url, max_pages=1, depth=0)
    assert await _sighted_paths(settings, gallery.base_url) == set()
    assert _gallery_pages(gallery) == ["/gallery/"]
