from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError

from monitor.errors import FeedError, HttpStatusError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.sources.base import Candidate
from monitor.sources.feed import FeedSource, FeedSourceConfig

FEED_URL = "https://feeds.example.org/alerts.xml"

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
  <entry>
    <link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://forum.example.net/t/1&amp;ct=ga&amp;usg=x"/>
    <media:thumbnail url="/thumbs/1.jpg"/>
  </entry>
  <entry><link href="posts/2.html"/></entry>
  <entry><media:thumbnail url="https://img.example.net/lonely.png"/></entry>
  <entry>
    <link href="https://www.google.com/url?rct=j&amp;url=https://forum.example.net/t/1&amp;usg=y"/>
    <media:thumbnail url="/thumbs/1.jpg"/>
  </entry>
</feed>"""

Handler = Callable[[httpx.Request], httpx.Response]


def respond(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> httpx.Response:
    # stream=, not content=: httpx pre-reads content= bodies, and the Fetcher streams raw bytes
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))


async def poll(source: FeedSource, handler: Handler) -> list[Candidate]:
    async with Fetcher(
        FetchSettings(per_host_delay=0), transport=httpx.MockTransport(handler)
    ) as fetcher:
        return [candidate async for candidate in source.poll(fetcher)]


def config(**overrides: object) -> FeedSourceConfig:
    return FeedSourceConfig.model_validate(
        {"kind": "feed", "name": "jane-alerts", "url": FEED_URL} | overrides
    )


async def test_poll_yields_pages_and_images_once_each() -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        # the feed moved: relative links resolve against where it was finally found
        if request.url.path == "/alerts.xml":
            return respond(301, headers={"location": "https://new.example.org/feeds/a.xml"})
        return respond(200, ATOM, {"content-type": "application/atom+xml"})

    candidates = await poll(FeedSource(config()), handler)
    assert requested == [FEED_URL, "https://new.example.org/feeds/a.xml"]
    page = "https://forum.example.net/t/1"
    assert candidates == [
        Candidate(url=page, kind="page", source="jane-alerts", page_url=page, depth=0),
        Candidate(
            url="https://new.example.org/thumbs/1.jpg",
            kind="image",
            source="jane-alerts",
            page_url=page,
        ),
        Candidate(
            url="https://new.example.org/feeds/posts/2.html",
            kind="page",
            source="jane-alerts",
            page_url="https://new.example.org/feeds/posts/2.html",
        ),
        Candidate(
            url="https://img.example.net/lonely.png",
            kind="image",
            source="jane-alerts",
            page_url="https://img.example.net/lonely.png",
        ),
    ]


async def test_unreadable_feed_fails_the_sweep() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return respond(200, b"<!doctype html><html><body>Login</body></html>")

    with pytest.raises(FeedError, match="HTML page"):
        await poll(FeedSource(config()), handler)


async def test_http_error_fails_the_sweep() -> None:
    with pytest.raises(HttpStatusError):
        await poll(FeedSource(config()), lambda request: respond(404))


def test_config_defaults_and_exact_url() -> None:
    url = "https://Feeds.Example.org:8443/a%20b.xml?x=1&y=2"
    parsed = config(url=url)
    assert parsed.url == url
    assert parsed.every == timedelta(hours=1)
    assert config(every="15m").every == timedelta(minutes=15)
    source = FeedSource(parsed)
    assert (source.name, source.kind) == ("jane-alerts", "feed")


@pytest.mark.parametrize(
    ("overrides", "location", "message"),
    [
        ({"name": "Jane Alerts"}, "name", "lowercase letters, digits"),
        ({"name": ""}, "name", "lowercase letters, digits"),
        ({"name": "-jane"}, "name", "starting with a letter or digit"),
        ({"name": "j" * 64}, "name", "1 to 63"),
        ({"url": "ftp://feeds.example.org/a.xml"}, "url", "not an http(s) URL with a host"),
        ({"url": "feeds.example.org/a.xml"}, "url", 'e.g. "https://example.org/page"'),
        ({"url": "https://"}, "url", "not an http(s) URL"),
        ({"url": "https://feeds.example.org:99999/"}, "url", "not an http(s) URL"),
        ({"url": "https://feeds example.org/"}, "url", "not an http(s) URL"),
        ({"every": "5 mins"}, "every", 'is not a duration; use e.g. "90s"'),
        ({"every": "0s"}, "every", "longer than zero"),
        ({"interval": "1h"}, "interval", "Extra inputs are not permitted"),
        ({"kind": "rss"}, "kind", "Input should be 'feed'"),
    ],
)
def test_config_errors_say_what_is_wrong(
    overrides: dict[str, object], location: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        config(**overrides)
    [error] = caught.value.errors()
    assert error["loc"] == (location,)
    assert message in str(caught.value)


def test_config_requires_url() -> None:
    with pytest.raises(ValidationError, match="url\n  Field required"):
        FeedSourceConfig.model_validate({"kind": "feed", "name": "x"})
