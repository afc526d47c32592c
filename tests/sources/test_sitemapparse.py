from __future__ import annotations

import gzip
import time
import tracemalloc
from datetime import UTC, datetime

import pytest

from monitor.errors import FeedError
from monitor.sources.sitemapparse import (
    MAX_ENTRIES,
    Sitemap,
    SitemapEntry,
    parse_lastmod,
    parse_sitemap,
    sitemaps_in_robots_txt,
)

URL = "https://site.example/sitemap.xml"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
IMAGE_NS = 'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'


def parse(text: str | bytes, *, url: str = URL, max_bytes: int | None = None) -> Sitemap:
    data = text.encode() if isinstance(text, str) else text
    if max_bytes is None:
        return parse_sitemap(data, sitemap_url=url)
    return parse_sitemap(data, sitemap_url=url, max_bytes=max_bytes)


def test_urlset_with_lastmod_and_images() -> None:
    sitemap = parse(f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset {NS} {IMAGE_NS}>
  <url>
    <loc> https://site.example/a </loc>
    <lastmod>2024-05-01T10:20:30+02:00</lastmod>
    <changefreq>daily</changefreq>
    <image:image><image:loc>https://cdn.site.example/a1.jpg</image:loc>
      <image:caption>a caption</image:caption></image:image>
    <image:image><image:loc>/a2.png</image:loc></image:image>
    <image:image><image:loc>https://cdn.site.example/a1.jpg</image:loc></image:image>
  </url>
  <url><loc>https://site.example/b?x=1&amp;y=2</loc><lastmod>2024-05-02</lastmod></url>
  <url><loc>https://site.example/c#part</loc></url>
  <url><lastmod>2024-05-02</lastmod></url>
  <url><loc>mailto:x@site.example</loc></url>
</urlset>""")
    assert not sitemap.is_index
    assert sitemap.pages == (
        SitemapEntry(
            url="https://site.example/a",
            lastmod=datetime(2024, 5, 1, 8, 20, 30, tzinfo=UTC),
            images=("https://cdn.site.example/a1.jpg", "https://site.example/a2.png"),
        ),
        SitemapEntry(
            url="https://site.example/b?x=1&y=2", lastmod=datetime(2024, 5, 2, tzinfo=UTC)
        ),
        SitemapEntry(url="https://site.example/c", lastmod=None),
    )


def test_a_loc_in_another_namespace_is_not_the_page() -> None:
    sitemap = parse(f"""<urlset {NS} {IMAGE_NS} xmlns:video="http://www.google.com/schemas/sitemap-video/1.1">
<url><loc>https://site.example/v</loc><video:video><video:loc>https://site.example/v.mp4</video:loc>
<video:thumbnail_loc>https://site.example/v.jpg</video:thumbnail_loc></video:video>
<image:loc>https://site.example/stray.jpg</image:loc></url></urlset>""")
    assert sitemap.pages == (SitemapEntry(url="https://site.example/v", lastmod=None),)


def test_urlset_without_namespace_is_read() -> None:
    sitemap = parse("<urlset><url><loc>https://site.example/a</loc></url></urlset>")
    assert [page.url for page in sitemap.pages] == ["https://site.example/a"]


def test_sitemap_index() -> None:
    sitemap = parse(f"""<sitemapindex {NS}>
  <sitemap><loc>https://site.example/posts.xml.gz</loc><lastmod>2024-06-01</lastmod></sitemap>
  <sitemap><loc>/pages.xml</loc></sitemap>
</sitemapindex>""")
    assert sitemap.is_index
    assert sitemap.pages == ()
    assert sitemap.sitemaps == (
        SitemapEntry(
            url="https://site.example/posts.xml.gz", lastmod=datetime(2024, 6, 1, tzinfo=UTC)
        ),
        SitemapEntry(url="https://site.example/pages.xml", lastmod=None),
    )


def test_gzip_file_is_recognised_by_its_bytes() -> None:
    document = f"<urlset {NS}><url><loc>https://site.example/z</loc></url></urlset>".encode()
    sitemap = parse(gzip.compress(document), url="https://site.example/sitemap.xml.gz")
    assert [page.url for page in sitemap.pages] == ["https://site.example/z"]


def test_text_sitemap() -> None:
    sitemap = parse(
        "\ufeffhttps://site.example/1\r\nhttps://site.example/2\n\nnot a url\nhttps://site.example/1\n"
    )
    assert [page.url for page in sitemap.pages] == [
        "https://site.example/1",
        "https://site.example/2",
    ]


def test_rss_feed_is_accepted_as_a_sitemap() -> None:
    sitemap = parse("""<rss version="2.0"><channel>
<item><link>https://site.example/post</link><pubDate>Tue, 04 Jun 2024 10:00:00 GMT</pubDate>
<enclosure url="https://site.example/post.jpg" type="image/jpeg"/></item>
</channel></rss>""")
    assert sitemap.pages == (
        SitemapEntry(
            url="https://site.example/post",
            lastmod=datetime(2024, 6, 4, 10, tzinfo=UTC),
            images=("https://site.example/post.jpg",),
        ),
    )


def test_big_sitemap_is_streamed() -> None:
    caption = "words " * 2000
    urls = "".join(
        f"<url><loc>https://site.example/p/{n}</loc><lastmod>2024-01-01</lastmod>"
        f"<image:image><image:loc>https://site.example/{n}.jpg</image:loc>"
        f"<image:caption>{caption}</image:caption></image:image></url>"
        for n in range(2000)
    )
    document = gzip.compress(f"<urlset {NS} {IMAGE_NS}>{urls}</urlset>".encode())
    started = time.monotonic()
    tracemalloc.start()
    try:
        sitemap = parse(document)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(sitemap.pages) == 2000
    assert sitemap.pages[-1].images == ("https://site.example/1999.jpg",)
    assert time.monotonic() - started < 10
    assert peak < 3_000_000, "memory must not grow with the document (24 MB here)"


def test_more_entries_than_the_protocol_allows_are_cut_off() -> None:
    urls = "<url><loc>https://site.example/same</loc></url>" * (MAX_ENTRIES + 10)
    sitemap = parse(f"<urlset>{urls}</urlset>")
    assert len(sitemap.pages) == MAX_ENTRIES


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"<!DOCTYPE html><html><body>Welcome</body></html>", "HTML page"),
        (b"\n<HTML><head><title>404</title></head></HTML>", "HTML page"),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', "HTML page"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "neither XML nor URLs"),
        (b'{"urls": []}', "neither XML nor URLs"),
        (b"<urlset><url><loc>https://a.example/</loc></url>", "not well-formed XML"),
        (b"<urlset><url></urlset>", "not well-formed XML"),
        (b"<urlset>\xff\xfe</urlset>", "not well-formed XML"),
        (b"<feedback><item/></feedback>", "root element is <feedback>"),
        (b'<?xml version="1.0" encoding="x-bogus"?><urlset/>', "cannot be read"),
        (b"<rss><channel><item>", "not an RSS or Atom feed"),
        (gzip.compress(b"<urlset/>")[:-12], "truncated"),
        (b"\x1f\x8b\x08\x00garbage-garbage-garbage", "corrupt"),
    ],
)
def test_what_is_not_a_sitemap_says_why(document: bytes, reason: str) -> None:
    with pytest.raises(FeedError, match=reason) as caught:
        parse(document)
    assert caught.value.url == URL


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<urlset><url><loc>https://a.example/&lol9;</loc></url></urlset>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<urlset><url><loc>https://a.example/&secret;</loc></url></urlset>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_attacks_are_refused(document: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(FeedError, match="declares XML entities"):
        parse(document)
    with pytest.raises(FeedError, match="declares XML entities"):
        parse(gzip.compress(document))
    assert time.monotonic() - started < 1


def test_gzip_bomb_is_refused_in_bounded_memory() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 60_000_000 + b"</urlset>", compresslevel=9)
    tracemalloc.start()
    try:
        with pytest.raises(FeedError, match="more than 1000000 bytes"):
            parse(bomb, max_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_plain_document_over_the_limit_is_refused() -> None:
    with pytest.raises(FeedError, match="more than 100 bytes"):
        parse(f"<urlset>{' ' * 200}</urlset>", max_bytes=100)


def test_entry_with_absurd_markup_is_refused() -> None:
    deep = "<x>" * 10_000 + "</x>" * 10_000
    with pytest.raises(FeedError, match="more than 5000 elements"):
        parse(f"<urlset><url><loc>https://a.example/</loc>{deep}</url></urlset>")


def test_huge_text_in_a_loc_drops_the_entry_only() -> None:
    sitemap = parse(
        f"<urlset><url><loc>https://a.example/{'a' * 100_000}</loc></url>"
        "<url><loc>https://a.example/ok</loc></url></urlset>"
    )
    assert [page.url for page in sitemap.pages] == ["https://a.example/ok"]


def test_robots_txt_sitemap_lines() -> None:
    robots = b"""User-agent: *
Disallow: /private
Sitemap: https://site.example/sitemap_index.xml
sitemap:/relative-sitemap.xml   # a comment
SITEMAP : https://cdn.site.example/other.xml.gz
Sitemap: https://site.example/sitemap_index.xml
Sitemap: ftp://site.example/nope.xml
# Sitemap: https://site.example/commented.xml
"""
    assert sitemaps_in_robots_txt(robots, robots_url="https://site.example/robots.txt") == [
        "https://site.example/sitemap_index.xml",
        "https://site.example/relative-sitemap.xml",
        "https://cdn.site.example/other.xml.gz",
    ]


def test_robots_txt_that_is_not_text_gives_nothing() -> None:
    assert sitemaps_in_robots_txt(bytes(range(256)) * 10, robots_url="https://a.example/") == []
    assert sitemaps_in_robots_txt(b"<html>Not found</html>", robots_url="https://a.example/") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-05", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-05-01T10:20Z", datetime(2024, 5, 1, 10, 20, tzinfo=UTC)),
        (" 2024-05-01T10:20:30.5-01:00 ", datetime(2024, 5, 1, 11, 20, 30, 500000, tzinfo=UTC)),
        ("2024-13", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_lastmod(text: str | None, expected: datetime | None) -> None:
    assert parse_lastmod(text) == expected
