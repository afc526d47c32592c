# ruff: noqa: E501 -- the feed documents keep the long lines real feeds have
from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.errors import FeedError
from monitor.sources.feedparse import FeedEntry, parse_feed, unwrap_google_redirect

FEED_URL = "https://news.example.org/feeds/all.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Example News</title>
  <link>https://news.example.org/</link>
  <atom:link href="https://news.example.org/feeds/all.xml" rel="self" type="application/rss+xml"/>
  <item>
    <title>First &amp; foremost</title>
    <link>https://news.example.org/2024/05/first.html</link>
    <pubDate>Thu, 02 May 2024 10:15:00 +0200</pubDate>
    <enclosure url="https://cdn.example.org/first.jpg" length="1234" type="image/jpeg"/>
    <enclosure url="https://cdn.example.org/first.mp3" length="1234" type="audio/mpeg"/>
    <media:content url="https://cdn.example.org/first-media.png" medium="image"/>
    <media:content url="https://cdn.example.org/first-video.mp4" medium="video"/>
    <media:group>
      <media:content url="https://cdn.example.org/group.webp" type="image/webp"/>
      <media:thumbnail url="/thumbs/first.jpg"/>
    </media:group>
    <description>&lt;p&gt;Look: &lt;img src="/inline/desc.gif"&gt;&lt;/p&gt;</description>
    <content:encoded><![CDATA[<figure><img src="https://cdn.example.org/encoded.jpg"
      srcset="https://cdn.example.org/encoded-2x.jpg 2x"></figure>]]></content:encoded>
  </item>
  <item>
    <title>Relative link, no date</title>
    <link>/2024/05/second.html</link>
    <pubDate>not a date</pubDate>
  </item>
  <item>
    <title>Guid permalink</title>
    <guid>https://news.example.org/2024/05/third.html</guid>
    <enclosure url="https://cdn.example.org/untyped.png"/>
  </item>
  <item>
    <title>Guid that is not a permalink and nothing else</title>
    <guid isPermaLink="false">urn:uuid:1234</guid>
  </item>
  <item>
    <title>Image only</title>
    <media:thumbnail url="https://cdn.example.org/only.jpg"/>
  </item>
  <item>
    <link>javascript:alert(1)</link>
  </item>
</channel>
</rss>
"""


def test_rss_items_with_enclosures_media_and_description_images() -> None:
    entries = parse_feed(RSS, feed_url=FEED_URL)
    assert [entry.page_url for entry in entries] == [
        "https://news.example.org/2024/05/first.html",
        "https://news.example.org/2024/05/second.html",
        "https://news.example.org/2024/05/third.html",
        None,
    ]
    first = entries[0]
    assert first.image_urls == (
        "https://cdn.example.org/first.jpg",
        "https://cdn.example.org/first-media.png",
        "https://cdn.example.org/group.webp",
        "https://news.example.org/thumbs/first.jpg",
        "https://news.example.org/inline/desc.gif",
        "https://cdn.example.org/encoded.jpg",
        "https://cdn.example.org/encoded-2x.jpg",
    )
    assert first.title == "First & foremost"
    assert first.published == datetime(2024, 5, 2, 8, 15, tzinfo=UTC)
    assert entries[1] == FeedEntry(
        page_url="https://news.example.org/2024/05/second.html",
        image_urls=(),
        title="Relative link, no date",
        published=None,
    )
    assert entries[2].image_urls == ("https://cdn.example.org/untyped.png",)
    assert entries[3].image_urls == ("https://cdn.example.org/only.jpg",)


ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
      xml:base="https://blog.example.com/">
  <title>Blog</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-05-03T12:00:00Z</updated>
  <link rel="self" href="https://blog.example.com/atom.xml"/>
  <entry>
    <title type="html">A &lt;em&gt;styled&lt;/em&gt; title</title>
    <link rel="edit" href="/edit/1"/>
    <link rel="alternate" type="text/html" href="posts/one.html"/>
    <link rel="enclosure" type="image/png" href="/media/one.png"/>
    <link rel="enclosure" type="application/pdf" href="/media/one.pdf"/>
    <id>tag:blog.example.com,2024:1</id>
    <published>2024-05-03T11:00:00+01:00</published>
    <updated>2024-05-03T12:00:00Z</updated>
    <summary type="html">&lt;img src="summary.jpg"&gt;</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p><img src="https://img.example.com/xhtml.webp"/></p></div></content>
  </entry>
  <entry>
    <title>Only an edit link</title>
    <link rel="edit" href="https://blog.example.com/posts/two.html"/>
    <updated>2024-05-02T09:30:00Z</updated>
  </entry>
  <entry>
    <title>Nothing to follow</title>
    <summary>plain text</summary>
  </entry>
</feed>
"""


def test_atom_entries() -> None:
    entries = parse_feed(ATOM, feed_url="https://blog.example.com/atom.xml")
    assert len(entries) == 2
    first, second = entries
    assert first.page_url == "https://blog.example.com/posts/one.html"
    assert first.image_urls == (
        "https://blog.example.com/media/one.png",
        "https://img.example.com/xhtml.webp",
        "https://blog.example.com/summary.jpg",
    )
    assert first.title == "A styled title"
    assert first.published == datetime(2024, 5, 3, 10, 0, tzinfo=UTC)
    assert second.page_url == "https://blog.example.com/posts/two.html"
    assert second.published == datetime(2024, 5, 2, 9, 30, tzinfo=UTC)


GOOGLE_ALERTS = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">
<id>tag:google.com,2005:reader/user/06512342817359920375/state/com.google/alerts/9315561029347412345</id>
<title>Google Alert - &quot;Jane Example&quot;</title>
<link href="https://www.google.com/alerts/feeds/06512342817359920375/9315561029347412345" rel="self"></link>
<updated>2024-05-02T08:15:27Z</updated>
<entry>
<id>tag:google.com,2013:googlealerts/feed:11542948751843210001</id>
<title type="html">Photos of &lt;b&gt;Jane Example&lt;/b&gt; - Forum thread</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://forum.example.net/threads/1234/%3Fpage%3D2&amp;ct=ga&amp;cd=CAIyGjE2ZTNhNDU1Y2QxYjM0ZjY6Y29tOmVuOlVT&amp;usg=AOvVaw1yvgXzPQ4r8m1Zf9cHkR1s"></link>
<published>2024-05-02T08:15:27Z</published>
<updated>2024-05-02T08:15:27Z</updated>
<content type="html">New pictures of &lt;b&gt;Jane Example&lt;/b&gt; were posted ...</content>
<author><name></name></author>
</entry>
<entry>
<id>tag:google.com,2013:googlealerts/feed:11542948751843210002</id>
<title type="html">&lt;b&gt;Jane Example&lt;/b&gt; gallery</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=http://images.example.com/gallery%3Fq%3Djane%2Bexample%26p%3D1&amp;ct=ga&amp;cd=CAIyGjE2ZTNhNDU1Y2QxYjM0ZjY6Y29tOmVuOlVT&amp;usg=AOvVaw2abcdefghijk"></link>
<published>2024-05-01T21:03:11Z</published>
<updated>2024-05-01T21:03:11Z</updated>
<content type="html">... &lt;b&gt;Jane Example&lt;/b&gt; ...</content>
<author><name></name></author>
</entry>
<entry>
<id>tag:google.com,2013:googlealerts/feed:11542948751843210003</id>
<title type="html">Redirect without a target</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;ct=ga&amp;usg=AOvVaw3"></link>
<published>2024-05-01T20:00:00Z</published>
<updated>2024-05-01T20:00:00Z</updated>
<content type="html">...</content>
</entry>
</feed>
"""


def test_google_alerts_links_are_unwrapped() -> None:
    entries = parse_feed(
        GOOGLE_ALERTS,
        feed_url="https://www.google.com/alerts/feeds/06512342817359920375/9315561029347412345",
    )
    assert [entry.page_url for entry in entries] == [
        "https://forum.example.net/threads/1234/?page=2",
        "http://images.example.com/gallery?q=jane+example&p=1",
    ]
    assert entries[0].title == "Photos of Jane Example - Forum thread"
    assert entries[0].published == datetime(2024, 5, 2, 8, 15, 27, tzinfo=UTC)
    assert all("google." not in (entry.page_url or "") for entry in entries)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.google.com/url?rct=j&url=https://a.example/x&ct=ga", "https://a.example/x"),
        (
            "https://www.google.co.uk/url?q=https://b.example/y%3Fz%3D1&sa=U",
            "https://b.example/y?z=1",
        ),
        ("https://google.de/url?url=http://c.example/", "http://c.example/"),
        ("https://www.google.com.au/url?url=https://d.example/#frag", "https://d.example/"),
        ("https://www.google.com/url?url=/relative", None),
        ("https://www.google.com/url?url=javascript:alert(1)", None),
        ("https://www.google.com/url?sa=t", None),
        (
            "https://www.google.com/search?q=https://e.example/",
            "https://www.google.com/search?q=https://e.example/",
        ),
        (
            "https://google.example.org/url?url=https://f.example/",
            "https://google.example.org/url?url=https://f.example/",
        ),
        (
            "https://notgoogle.com/url?url=https://g.example/",
            "https://notgoogle.com/url?url=https://g.example/",
        ),
    ],
)
def test_unwrap_google_redirect(url: str, expected: str | None) -> None:
    assert unwrap_google_redirect(url) == expected


def test_rss_1_0_rdf() -> None:
    rdf = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://old.example.org/"><title>Old</title><link>https://old.example.org/</link></channel>
  <item rdf:about="https://old.example.org/a">
    <title>A</title><link>https://old.example.org/a</link><dc:date>2024-01-02T03:04:05Z</dc:date>
  </item>
</rdf:RDF>"""
    assert parse_feed(rdf, feed_url="https://old.example.org/index.rdf") == [
        FeedEntry(
            page_url="https://old.example.org/a",
            image_urls=(),
            title="A",
            published=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        )
    ]


def test_json_feed() -> None:
    document = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J",
      "items": [
        {"id": "1", "url": "https://j.example.org/1", "image": "/img/1.jpg",
         "content_html": "<img src='https://j.example.org/2.png'>",
         "attachments": [{"url": "https://j.example.org/a.webp", "mime_type": "image/webp"},
                         {"url": "https://j.example.org/a.mp3", "mime_type": "audio/mpeg"}],
         "date_published": "2024-05-01T10:00:00Z"},
        {"id": "2", "title": "no url"},
        "not an object"
      ]}"""
    assert parse_feed(document, feed_url="https://j.example.org/feed.json") == [
        FeedEntry(
            page_url="https://j.example.org/1",
            image_urls=(
                "https://j.example.org/img/1.jpg",
                "https://j.example.org/a.webp",
                "https://j.example.org/2.png",
            ),
            title=None,
            published=datetime(2024, 5, 1, 10, tzinfo=UTC),
        )
    ]


def test_feed_in_a_single_byte_encoding() -> None:
    rss = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
        "<item><title>Caf\u00e9</title><link>https://e.example/caf\u00e9</link></item>"
        "</channel></rss>"
    ).encode("latin-1")
    [entry] = parse_feed(rss, feed_url="https://e.example/rss")
    assert entry.title == "Caf\u00e9"
    assert entry.page_url == "https://e.example/caf\u00e9"


def reason(data: bytes) -> str:
    with pytest.raises(FeedError) as caught:
        parse_feed(data, feed_url=FEED_URL)
    assert caught.value.url == FEED_URL
    return caught.value.reason


@pytest.mark.parametrize("data", [b"", b"  \r\n\t ", b"\xef\xbb\xbf"])
def test_empty_response(data: bytes) -> None:
    assert "empty" in reason(data)


def test_html_page_instead_of_feed() -> None:
    html = b"<!DOCTYPE html><html><head><meta charset=utf-8><title>Hi</title></head><body><br></body></html>"
    assert "HTML page" in reason(html)


def test_well_formed_xhtml_page_names_its_root() -> None:
    xhtml = b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p/></body></html>'
    assert reason(xhtml) == "not an RSS or Atom feed: the document's root element is <html>"


def test_wrong_root_element() -> None:
    assert reason(b"<sitemapindex><sitemap/></sitemapindex>").endswith(
        "root element is <sitemapindex>"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"just some text",
        b"\x00\x01\x02\xff\xfe binary",
        b"<rss><channel><item><link>x</link></channel></rss>",
        b"<rss>&nbsp;</rss>",
    ],
)
def test_not_xml(data: bytes) -> None:
    assert "not well-formed XML" in reason(data)


def test_bad_json() -> None:
    assert "not valid JSON" in reason(b"{not json")
    assert "jsonfeed.org" in reason(b'{"items": []}')
    assert "not valid JSON" in reason(b"[" * 100_000)


def test_billion_laughs_is_refused_quickly() -> None:
    lol = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><item><title>&lol9;</title><link>https://x.example/</link></item></channel></rss>"""
    started = time.monotonic()
    assert "declares XML entities" in reason(lol)
    assert time.monotonic() - started < 5


def test_external_entity_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-MARKER-7f3a")
    xxe = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0"><channel><item><title>&xxe;</title><link>https://x.example/&xxe;</link></item></channel></rss>""".encode()
    with pytest.raises(FeedError) as caught:
        parse_feed(xxe, feed_url=FEED_URL)
    assert "SECRET-MARKER" not in str(caught.value)
    assert "declares XML entities" in caught.value.reason


def test_etc_passwd_entity_is_refused() -> None:
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&xxe;</title><link href="https://x.example/"/></entry></feed>"""
    assert "declares XML entities" in reason(xxe)


def test_external_dtd_is_not_fetched_and_feed_still_parses(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "SECRET-MARKER-9b1c">')
    rss = f"""<?xml version="1.0"?>
<!DOCTYPE rss SYSTEM "file://{dtd}">
<rss version="2.0"><channel><item><title>ok</title><link>https://x.example/a</link></item></channel></rss>""".encode()
    [entry] = parse_feed(rss, feed_url=FEED_URL)
    assert entry.page_url == "https://x.example/a"


def test_deeply_nested_xml_does_not_crash() -> None:
    depth = 50_000
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="https://x.example/a"/>'
        b'<content type="xhtml">'
        + b"<div>" * depth
        + b"</div>" * depth
        + b"</content></entry></feed>"
    )
    [entry] = parse_feed(atom, feed_url=FEED_URL)
    assert entry.page_url == "https://x.example/a"


def test_huge_title_is_bounded() -> None:
    title = b"&lt;b&gt;" * 200_000
    rss = (
        b"<rss><channel><item><title>"
        + title
        + b"</title><link>https://x.example/</link></item></channel></rss>"
    )
    [entry] = parse_feed(rss, feed_url=FEED_URL)
    assert entry.title is None or len(entry.title) <= 1000


@pytest.mark.parametrize("encoding", ["shift_jis", "gb18030", "big5", "euc-jp"])
def test_feed_in_a_multi_byte_encoding(encoding: str) -> None:
    rss = (
        f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel>'
        "<item><title>\u65e5\u672c\u8a9e</title><link>https://j.example/a</link></item>"
        "</channel></rss>"
    ).encode(encoding)
    [entry] = parse_feed(rss, feed_url="https://j.example/rss")
    assert entry.title == "\u65e5\u672c\u8a9e"


@pytest.mark.parametrize("encoding", ["x-bogus", "base64", "rot13"])
def test_unreadable_declared_encoding(encoding: str) -> None:
    rss = f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel/></rss>'
    assert "encoding that cannot be read" in reason(rss.encode())
