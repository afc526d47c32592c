"""Mastodon status parsing and Link-header paging, including hostile input."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.sources.mastodon_statuses import (
    TimelineError,
    media_image_urls,
    next_max_id,
    parse_statuses,
    status_order,
)
from tests.sources.recorded_api import fixture

DOCS_LINK = (
    "<https://mastodon.example/api/v1/timelines/tag/cats?max_id=103206185588894565>; "
    'rel="next", <https://mastodon.example/api/v1/timelines/tag/cats?min_id=103206804533200177>; '
    'rel="prev"'
)


def status(**fields: Any) -> dict[str, Any]:
    return {"id": "100", "url": "https://m.example/@a/100", "media_attachments": []} | fields


@pytest.mark.parametrize(
    ("header", "max_id"),
    [
        (DOCS_LINK, "103206185588894565"),
        (DOCS_LINK.replace('rel="next"', "rel=next"), "103206185588894565"),
        ('<https://m.example/x?limit=2&max_id=7&only_media=true>; rel="next"', "7"),
        ('<https://m.example/x?min_id=9>; rel="prev"', None),
        ('<https://m.example/x?max_id=abc>; rel="next"', None),
        ('<https://m.example/x?max_id=1&max_id=2>; rel="next"', None),
        ("garbage", None),
        ("", None),
        (None, None),
        ("<" * 20000, None),
    ],
)
def test_next_max_id_reads_the_next_link(header: str | None, max_id: str | None) -> None:
    assert next_max_id(header) == max_id


def test_recorded_statuses_keep_their_order_and_pages() -> None:
    statuses = parse_statuses(fixture("mastodon/tag_page1.json"))
    assert [s.id for s in statuses] == ["112233445566778805", "112233445566778804"]
    assert statuses[0].order > statuses[1].order
    assert statuses[1].page_url == "https://other.example/@carol/998877"


def test_images_and_remote_originals_and_video_previews() -> None:
    attachments = [
        {
            "type": "image",
            "url": "https://m.example/a.jpg",
            "remote_url": "https://o.example/a.jpg",
        },
        {
            "type": "image",
            "url": "https://m.example/b.jpg",
            "remote_url": "https://m.example/b.jpg",
        },
        {
            "type": "gifv",
            "url": "https://m.example/c.mp4",
            "preview_url": "https://m.example/c.png",
        },
        {
            "type": "video",
            "url": "https://m.example/d.mp4",
            "preview_url": "https://m.example/d.png",
        },
        {
            "type": "audio",
            "url": "https://m.example/e.mp3",
            "preview_url": "https://m.example/e.png",
        },
        {"type": "unknown", "url": None, "remote_url": "https://o.example/f.jpg"},
    ]
    assert media_image_urls({"media_attachments": attachments}) == [
        "https://m.example/a.jpg",
        "https://o.example/a.jpg",
        "https://m.example/b.jpg",
        "https://m.example/c.png",
        "https://m.example/d.png",
        "https://o.example/f.jpg",
    ]


def test_a_status_without_a_url_uses_its_uri() -> None:
    [parsed] = parse_statuses([status(url=None, uri="https://m.example/users/a/statuses/100")])
    assert parsed.page_url == "https://m.example/users/a/statuses/100"


@pytest.mark.parametrize(
    "entry",
    [
        None,
        "status",
        status(id=100),
        status(id="1e5"),
        status(id="../1"),
        status(id="1" * 30),
        status(url="javascript:alert(1)", uri=None),
        status(url=None, uri=None),
    ],
)
def test_unusable_statuses_are_skipped(entry: Any) -> None:
    parsed = parse_statuses([entry, status(id="200")])
    assert [s.id for s in parsed] == ["200"]


def test_hostile_attachments_are_skipped() -> None:
    hostile = status(
        media_attachments=[
            None,
            "x",
            {"type": "image", "url": "file:///etc/passwd"},
            {"type": "image", "url": ["https://m.example/a.jpg"]},
            {"type": "image", "url": "https://m.example/" + "a" * 5000},
            {"type": "image", "url": "https://m.example/ok.jpg"},
        ]
    )
    [parsed] = parse_statuses([hostile])
    assert parsed.image_urls == ("https://m.example/ok.jpg",)
    assert media_image_urls({"media_attachments": "nope"}) == []


@pytest.mark.parametrize("payload", [None, {}, {"error": "Record not found"}, "[]"])
def test_what_is_not_an_array_is_refused(payload: Any) -> None:
    with pytest.raises(TimelineError):
        parse_statuses(payload)


def test_status_order_is_numeric() -> None:
    assert status_order("100") > status_order("99")
    with pytest.raises(ValueError, match="not a Mastodon status ID"):
        status_order("abc")
