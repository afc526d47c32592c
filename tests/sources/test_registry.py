"""The registry in monitor/sources/__init__.py, and the contract every source must keep."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.sources import (
    SOURCE_TYPES,
    Candidate,
    FeedSource,
    FeedSourceConfig,
    PagesSource,
    PagesSourceConfig,
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
}

source_configs = TypeAdapter(list[SourceConfig])


def serve_feed(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, stream=httpx.ByteStream(FEED))


def test_kind_selects_the_config_model() -> None:
    pages, feed = source_configs.validate_python(list(EXAMPLES.values()))
    assert isinstance(pages, PagesSourceConfig)
    assert isinstance(feed, FeedSourceConfig)
    assert isinstance(build_source(pages), PagesSource)
    assert isinstance(build_source(feed), FeedSource)


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
