"""Reddit listing parsing: direct, gallery and preview images, outside links, hostile posts."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.sources.reddit_posts import (
    ListingError,
    RedditPost,
    parse_listing,
    post_image_urls,
    post_order,
)
from tests.sources.recorded_api import fixture


def listing(*children: Any, after: Any = None) -> dict[str, Any]:
    return {"kind": "Listing", "data": {"after": after, "before": None, "children": list(children)}}


def post(**data: Any) -> dict[str, Any]:
    return {
        "kind": "t3",
        "data": {"name": "t3_abc", "permalink": "/r/board/comments/abc/title/"} | data,
    }


def test_a_recorded_page_becomes_posts_in_order() -> None:
    page = parse_listing(fixture("reddit/new_page1.json"))
    assert page.after == "t3_1c8x0c1"
    assert [item.name for item in page.posts] == [
        "t3_1c8x0f5",
        "t3_1c8x0e2",
        "t3_1c8x0d9",
        "t3_1c8x0c1",
    ]
    assert [item.order for item in page.posts] == sorted(
        (item.order for item in page.posts), reverse=True
    )
    lake, gallery, link, text = page.posts
    assert lake.page_url == (
        "https://www.reddit.com/r/exampleboard/comments/1c8x0f5/evening_at_the_lake/"
    )
    assert lake.link_url is None
    assert text == RedditPost(
        name="t3_1c8x0c1",
        page_url="https://www.reddit.com/r/exampleboard/comments/1c8x0c1/a_question_for_everyone/",
        image_urls=(),
        link_url=None,
    )
    assert link.link_url == "https://forum.example.net/thread/9?page=2&sort=new"
    assert gallery.link_url is None


def test_gallery_items_come_in_gallery_order_unescaped_and_failed_ones_skipped() -> None:
    gallery = fixture("reddit/new_page1.json")["data"]["children"][1]["data"]
    assert post_image_urls(gallery) == [
        "https://preview.redd.it/7ow3n8q1hxvc1.jpg?width=3024&format=pjpg&auto=webp&s=cc33",
        "https://i.redd.it/d4a2c9r1hxvc1.gif",
    ]


def test_preview_urls_are_html_unescaped() -> None:
    data = {
        "url": "https://www.reddit.com/r/board/comments/abc/",
        "preview": {
            "images": [{"source": {"url": "https://preview.redd.it/x.jpg?a=1&amp;amp;b=2&amp;s=3"}}]
        },
    }
    # One unescape only: "&amp;amp;" in Reddit's JSON is a literal "&amp;" in the URL.
    assert post_image_urls(data) == ["https://preview.redd.it/x.jpg?a=1&amp;b=2&s=3"]


@pytest.mark.parametrize(
    ("data", "images"),
    [
        ({"url": "https://i.imgur.com/Ab12Cd3.JPG"}, ["https://i.imgur.com/Ab12Cd3.JPG"]),
        ({"url": "https://i.redd.it/x", "post_hint": "image"}, ["https://i.redd.it/x"]),
        ({"url": "https://imgur.com/a/album1"}, []),
        ({"url": "javascript:alert(1)//.jpg", "post_hint": "image"}, []),
        (
            {"url": "https://i.redd.it/a.png", "url_overridden_by_dest": "https://i.redd.it/b.png"},
            ["https://i.redd.it/b.png"],
        ),
    ],
)
def test_direct_images_by_extension_or_post_hint(data: dict[str, Any], images: list[str]) -> None:
    assert post_image_urls(data) == images


def test_outside_links_are_pages_but_reddit_and_video_links_are_not() -> None:
    page = parse_listing(
        listing(
            post(name="t3_a1", url="https://imgur.com/a/album1"),
            post(name="t3_a2", url="https://v.redd.it/clip"),
            post(name="t3_a3", url="https://old.reddit.com/r/x/comments/y/"),
            post(name="t3_a4", url="https://example.org/page", is_self=True),
        )
    )
    assert [item.link_url for item in page.posts] == [
        "https://imgur.com/a/album1",
        None,
        None,
        None,
    ]


@pytest.mark.parametrize(
    "child",
    [
        "t3_abc",
        None,
        {"kind": "t1", "data": {"name": "t1_abc", "permalink": "/r/x/comments/abc/c/"}},
        {"kind": "t3", "data": []},
        post(name="t3_ABC"),
        post(name="t3_" + "z" * 40),
        post(name=7),
        post(permalink="https://evil.example/x"),
        post(permalink=None),
    ],
)
def test_unusable_children_are_skipped(child: Any) -> None:
    page = parse_listing(listing(child, post(name="t3_ok1")))
    assert [item.name for item in page.posts] == ["t3_ok1"]


def test_a_hostile_post_does_not_break_parsing() -> None:
    hostile = post(
        url=["not", "a", "string"],
        preview={"images": [None, {"source": "x"}, {"source": {"url": 5}}]},
        gallery_data={"items": [None, {"media_id": ["x"]}, {"media_id": "m1"}]},
        media_metadata={"m1": {"status": "valid", "s": {"u": "data:image/png;base64,AAAA"}}},
        crosspost_parent_list=[None, "x", {"url": "https://i.redd.it/p.jpg"}],
    )
    [parsed] = parse_listing(listing(hostile)).posts
    assert parsed.image_urls == ("https://i.redd.it/p.jpg",)


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "Listing",
        {"kind": "t3", "data": {}},
        {"kind": "Listing"},
        {"kind": "Listing", "data": {}},
    ],
)
def test_what_is_not_a_listing_is_refused(payload: Any) -> None:
    with pytest.raises(ListingError):
        parse_listing(payload)


def test_a_bad_after_cursor_is_dropped() -> None:
    assert parse_listing(listing(after="t3_abc&x=1")).after is None
    assert parse_listing(listing(after="t3_abc")).after == "t3_abc"


def test_post_order_follows_base36_ids() -> None:
    assert post_order("t3_100") > post_order("t3_zz")  # 1296 > 1295: not string order
    assert post_order("t3_1c8x1a0") > post_order("t3_1c8x0f5")
    with pytest.raises(ValueError, match="not a Reddit post name"):
        post_order("t1_abc")
