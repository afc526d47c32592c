from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from pydantic import ValidationError

from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.sources.base import Candidate
from monitor.sources.pages import PagesSource, PagesSourceConfig

URLS = [
    "https://forum.example.net/t/1",
    "http://Images.Example.com/a?b=1&c=2",
    "https://forum.example.net/t/1",
]


def config(**overrides: object) -> PagesSourceConfig:
    return PagesSourceConfig.model_validate(
        {"kind": "pages", "name": "watched-forums", "urls": URLS} | overrides
    )


def no_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a pages source must not fetch; it asked for {request.url}")


async def test_poll_yields_each_page_once_with_the_configured_depth_and_page_limit() -> None:
    source = PagesSource(config(depth=2, max_pages=4))
    async with Fetcher(FetchSettings(), transport=httpx.MockTransport(no_network)) as fetcher:
        candidates = [candidate async for candidate in source.poll(fetcher)]
    assert candidates == [
        Candidate(
            url=url, kind="page", source="watched-forums", page_url=url, depth=2, pages_left=3
        )
        for url in URLS[:2]
    ]


def test_config_defaults() -> None:
    parsed = config()
    assert parsed.urls == URLS  # exactly as written
    assert parsed.depth == 1
    assert parsed.max_pages == 10
    assert parsed.every == timedelta(minutes=30)
    assert (PagesSource(parsed).name, PagesSource(parsed).kind) == ("watched-forums", "pages")


@pytest.mark.parametrize(
    ("overrides", "location", "message"),
    [
        ({"urls": []}, ("urls",), "at least 1 item"),
        ({"urls": "https://one.example/"}, ("urls",), "valid list"),
        (
            {"urls": ["https://ok.example/", "mailto:x@example.org"]},
            ("urls", 1),
            "not an http(s) URL",
        ),
        ({"depth": 6}, ("depth",), "less than or equal to 5"),
        ({"depth": -1}, ("depth",), "greater than or equal to 0"),
        ({"max_pages": 0}, ("max_pages",), "greater than or equal to 1"),
        ({"max_pages": 101}, ("max_pages",), "less than or equal to 100"),
        ({"every": "soon"}, ("every",), "is not a duration"),
        ({"name": "Forums!"}, ("name",), "source name 'Forums!' is not allowed"),
        ({"url": "https://one.example/"}, ("url",), "Extra inputs are not permitted"),
    ],
)
def test_config_errors_say_what_is_wrong(
    overrides: dict[str, object], location: tuple[object, ...], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        config(**overrides)
    [error] = caught.value.errors()
    assert error["loc"] == location
    assert message in str(caught.value)
