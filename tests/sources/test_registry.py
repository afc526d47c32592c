"""The registry in monitor/sources/__init__.py, and the contract every source must keep."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.sources import (
    SOURCE_TYPES,
    Candidate,
    FeedSourceConfig,
    MastodonSourceConfig,
    PagesSourceConfig,
    RedditSourceConfig,
    ReverseSourceConfig,
    SearchSourceConfig,
    SitemapSourceConfig,
    SourceConfig,
    build_source,
)

FEED = b"""<rss version="2.0"><channel>
<item><link>https://a.example/1</link>
<enclosure url="https://a.example/1.jpg" type="image/jpeg"/></item>
</channel></rss>"""

# One example config per registered kind; a new kind without an example fails the contract test.
EXAMPLES: dict[type[BaseModel], dict[str, object]] = {
    PagesSourceConfig: {"kind": "pages", "name": "some-pages", "urls": ["https://a.example/"]},
    FeedSourceConfig: {"kind": "feed", "name": "some-feed", "url": "https://a.example/feed"},
    ReverseSourceConfig: {
        "kind": "reverse",
        "name": "some-reverse",
        "urls": ["https://a.example/seed.jpg"],
        "serpapi_key": "test-key",
    },
    SearchSourceConfig: {
        "kind": "search",
        "name": "some-search",
        "queries": ["a name"],
        "serpapi_key": "test-key",
    },
    SitemapSourceConfig: {
        "kind": "sitemap",
        "name": "some-sitemap",
        "urls": ["https://a.example/sitemap.xml"],
    },
    RedditSourceConfig: {
        "kind": "reddit",
        "name": "some-reddit",
        "client_id": "test-id",
        "client_secret": "test-secret",
        "subreddits": ["some_board"],
    },
    MastodonSourceConfig: {
        "kind": "mastodon",
        "name": "some-mastodon",
        "instance": "https://a.example",
        "hashtags": ["sometag"],
    },
}
# API sources get an answer of their API's shape at these paths; every other path gets FEED.
API_ANSWERS: dict[str, bytes] = {
    "/search.json": json.dumps(
        {
            "search_metadata": {"status": "Success"},
            "visual_matches": [{"link": "https://b.example/p", "image": "https://b.example/i.jpg"}],
            "organic_results": [{"link": "https://b.example/p"}],
        }
    ).encode(),
    "/sitemap.xml": b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"><url>
        <loc>https://a.example/p</loc><image:image><image:loc>https://a.example/p.jpg</image:loc>
        </image:image></url></urlset>""",
    "/api/v1/access_token": b'{"access_token": "t", "token_type": "bearer", "expires_in": 86400}',
    "/r/some_board/new": json.dumps(
        {
            "kind": "Listing",
            "data": {
                "after": None,
                "children": [
                    {
                        "kind": "t3",
                        "data": {
                            "name": "t3_abc",
                            "permalink": "/r/some_board/comments/abc/x/",
                            "url": "https://i.redd.it/abc.jpg",
                        },
                    }
                ],
            },
        }
    ).encode(),
    "/api/v1/timelines/tag/sometag": json.dumps(
        [
            {
                "id": "1",
                "url": "https://a.example/@a/1",
                "media_attachments": [{"type": "image", "url": "https://a.example/1.jpg"}],
            }
        ]
    ).encode(),
}

source_configs = TypeAdapter(list[SourceConfig])


def serve_feed(request: httpx.Request) -> httpx.Response:
    body = API_ANSWERS.get(request.url.path, FEED)
    return httpx.Response(200, stream=httpx.ByteStream(body))


def test_kind_selects_the_config_model() -> None:
    configs = source_configs.validate_python(list(EXAMPLES.values()))
    assert [type(config) for config in configs] == list(EXAMPLES)
    source_types = dict(SOURCE_TYPES)
    for config in configs:
        source_type = source_types[type(config)]
        assert isinstance(source_type, type)
        assert isinstance(build_source(config), source_type)


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        source_configs.validate_python([{"kind": "rss", "name": "x", "url": "https://a.example/"}])
    assert "'pages', 'feed'" in str(caught.value)


def test_missing_kind_is_named() -> None:
    with pytest.raises(ValidationError, match="kind"):
        source_configs.validate_python([{"name": "x", "url": "https://a.example/"}])


def test_errors_point_at_the_source_and_field() -> None:
    with pytest.raises(ValidationError) as caught:
        source_configs.validate_python(
            [
                EXAMPLES[PagesSourceConfig],
                {"kind": "feed", "name": "x", "url": "ftp://a.example/", "every": "1h"},
            ]
        )
    [error] = caught.value.errors()
    assert error["loc"] == (1, "feed", "url")


@pytest.mark.parametrize(("config_type", "source_type"), SOURCE_TYPES)
async def test_every_source_keeps_the_contract(
    config_type: type[BaseModel], source_type: type
) -> None:
    config = config_type.model_validate(EXAMPLES[config_type])
    source = build_source(config)  # type: ignore[arg-type]
    assert isinstance(source, source_type)
    assert source.name == EXAMPLES[config_type]["name"]
    assert source.kind == EXAMPLES[config_type]["kind"]
    async with Fetcher(FetchSettings(), transport=httpx.MockTransport(serve_feed)) as fetcher:
        candidates = [candidate async for candidate in source.poll(fetcher)]
    assert candidates
    for candidate in candidates:
        assert isinstance(candidate, Candidate)
        assert candidate.source == source.name
        assert candidate.kind in ("page", "image")
        assert urlsplit(candidate.url).scheme in ("http", "https")
        assert urlsplit(candidate.page_url).scheme in ("http", "https")
        assert candidate.depth >= 0
        assert candidate.kind == "image" or candidate.page_url == candidate.url


def test_every_kind_can_belong_to_some_clients_and_is_shared_by_default() -> None:
    owned = [{**example, "clients": ["K-17", "case.b_2"]} for example in EXAMPLES.values()]
    for shared, mine in zip(
        source_configs.validate_python(list(EXAMPLES.values())),
        source_configs.validate_python(owned),
        strict=True,
    ):
        assert shared.clients == ()
        assert mine.clients == ("K-17", "case.b_2")


def test_an_owner_that_cannot_be_a_client_id_is_refused_clearly() -> None:
    example = {**EXAMPLES[FeedSourceConfig], "clients": ["Jane Doe"]}
    with pytest.raises(ValidationError, match="'Jane Doe' is not a client ID"):
        source_configs.validate_python([example])
