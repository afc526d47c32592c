from __future__ import annotations

import os

import pytest

from monitor.fetch.extract import (
    MAX_IMAGES,
    MAX_LINKS,
    PageLinks,
    css_urls,
    extract_page,
    parse_srcset,
)

PAGE_URL = "https://www.example.org/gallery/album.html?id=7"

RICH_PAGE = b"""<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <base href="https://cdn.example.org/assets/">
  <meta property="og:image" content="https://example.org/og.jpg">
  <meta property="og:image:url" content="/og-url.jpg">
  <meta property="og:image:secure_url" content="https://example.org/og-secure.jpg#frag">
  <meta name="twitter:image" content="tw.png">
  <meta name="twitter:image:src" content="//img.example.net/tw-src.webp">
  <meta name="description" content="not-an-image.jpg">
  <link rel="image_src" href="image-src.jpg">
  <link rel="stylesheet" href="site.css">
  <link rel="preload" as="image" href="hero-small.avif"
        imagesrcset="hero-1.avif 1x, hero-2.avif 2x">
  <link rel="next" href="https://example.org/gallery/album.html?id=7&amp;page=2">
  <style>
    .banner { background: url("banner.jpg") no-repeat; }
    .icon { background-image: url(icons/sprite.png); }
    @font-face { src: url('fonts/face.woff2') format('woff2'); }
    .bad { background: url(data:image/png;base64,AAAA); }
  </style>
</head>
<body>
  <img src="plain.jpg" alt="">
  <img src="/root-relative.png" srcset="small.jpg 480w, medium.jpg 800w,large.jpg 1200w"
       sizes="(max-width: 600px) 480px, 800px">
  <img srcset="https://img.example.net/c_fill,w_200/x.jpg 1x, https://img.example.net/y.jpg 2x">
  <picture>
    <source srcset="pic.avif 1x, pic@2x.avif 2x" type="image/avif">
    <source media="(min-width: 800px)" srcset="pic-wide.webp">
    <img src="pic.jpg">
  </picture>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="lazy-1.jpg">
  <img class="lazyload" data-srcset="lazy-set-1.jpg 1x, lazy-set-2.jpg 2x">
  <img data-original="/photos/original?id=55">
  <img data-lazy-src="lazy-src.png" data-large-file="large-file.jpg"
       data-orig-file="orig-file.jpg" data-hi-res="hi-res.jpg">
  <div data-bg="url('div-bg.jpg')" data-caption="just words" data-thumb="thumb.gif"></div>
  <div data-src="/embed/player"></div>
  <div style="background-image: url(&quot;inline-bg.jpg&quot;)"></div>
  <section style="background: #000 url('section-bg.webp') center"></section>
  <video poster="poster.jpg" controls>
    <source src="movie.mp4" type="video/mp4">
  </video>
  <a href="/full/size.JPEG">full size</a>
  <a href="https://other.example.com/offsite.png">off-site image link</a>
  <a href="https://example.org/gallery/page2.html">same site, no www</a>
  <a href="https://www.example.org/gallery/page3.html#comments">same site, fragment</a>
  <a href="relative-page.html">relative to base (cdn, off-site)</a>
  <a href="https://www.example.org/gallery/album.html?id=7#top">self</a>
  <a href="https://other.example.com/page.html">off-site page</a>
  <a href="mailto:someone@example.org">mail</a>
  <a href="tel:+123">phone</a>
  <a href="javascript:void(0)">js</a>
  <a href="#section">fragment only</a>
  <a href="https://www.example.org/files/report.pdf">pdf</a>
  <a href="blob:https://example.org/1234">blob</a>
  <a href="ftp://example.org/file.jpg">ftp</a>
  <a href="https://www.example.org/gallery/page2.html">duplicate</a>
  <a rel="next" href="https://www.example.org/gallery/album.html?id=7&amp;page=2">next</a>
  <img src="plain.jpg">
</body>
</html>
"""

CDN = "https://cdn.example.org/assets/"

EXPECTED_IMAGES = (
    "https://example.org/og.jpg",
    "https://cdn.example.org/og-url.jpg",
    "https://example.org/og-secure.jpg",
    CDN + "tw.png",
    "https://img.example.net/tw-src.webp",
    CDN + "image-src.jpg",
    CDN + "hero-small.avif",
    CDN + "hero-1.avif",
    CDN + "hero-2.avif",
    CDN + "banner.jpg",
    CDN + "icons/sprite.png",
    CDN + "plain.jpg",
    "https://cdn.example.org/root-relative.png",
    CDN + "small.jpg",
    CDN + "medium.jpg",
    CDN + "large.jpg",
    "https://img.example.net/c_fill,w_200/x.jpg",
    "https://img.example.net/y.jpg",
    CDN + "pic.avif",
    CDN + "pic@2x.avif",
    CDN + "pic-wide.webp",
    CDN + "pic.jpg",
    CDN + "lazy-1.jpg",
    CDN + "lazy-set-1.jpg",
    CDN + "lazy-set-2.jpg",
    "https://cdn.example.org/photos/original?id=55",
    CDN + "lazy-src.png",
    CDN + "large-file.jpg",
    CDN + "orig-file.jpg",
    CDN + "hi-res.jpg",
    CDN + "div-bg.jpg",
    CDN + "thumb.gif",
    CDN + "inline-bg.jpg",
    CDN + "section-bg.webp",
    CDN + "poster.jpg",
    "https://cdn.example.org/full/size.JPEG",
    "https://other.example.com/offsite.png",
)


@pytest.fixture(scope="module")
def rich() -> PageLinks:
    return extract_page(RICH_PAGE, page_url=PAGE_URL, content_type="text/html; charset=utf-8")


def test_finds_every_embedded_image_in_first_seen_order(rich: PageLinks) -> None:
    assert rich.images == EXPECTED_IMAGES


def test_skips_data_urls_fonts_videos_and_non_image_data_attributes(rich: PageLinks) -> None:
    joined = " ".join(rich.images)
    for absent in ("data:", "face.woff2", "movie.mp4", "embed/player", "site.css", "not-an-image"):
        assert absent not in joined


def test_links_are_same_site_pages_only(rich: PageLinks) -> None:
    assert rich.links == (
        "https://example.org/gallery/page2.html",
        "https://www.example.org/gallery/page3.html",
        "https://www.example.org/gallery/page2.html",
        "https://www.example.org/gallery/album.html?id=7&page=2",
    )


def test_next_pages_come_from_rel_next(rich: PageLinks) -> None:
    assert rich.next_pages == (
        "https://example.org/gallery/album.html?id=7&page=2",
        "https://www.example.org/gallery/album.html?id=7&page=2",
    )


def test_relative_urls_resolve_against_page_without_base() -> None:
    html = b'<img src="a.jpg"><img src="../b.png"><a href="c.html">c</a>'
    links = extract_page(html, page_url="https://example.org/x/y/page.html")
    assert links.images == ("https://example.org/x/y/a.jpg", "https://example.org/x/b.png")
    assert links.links == ("https://example.org/x/y/c.html",)


def test_relative_base_href_resolves_against_page() -> None:
    html = b'<head><base href="/static/"></head><img src="a.jpg">'
    links = extract_page(html, page_url="https://example.org/x/page.html")
    assert links.images == ("https://example.org/static/a.jpg",)


def test_javascript_base_href_is_ignored() -> None:
    html = b'<head><base href="javascript:alert(1)"></head><img src="a.jpg">'
    links = extract_page(html, page_url="https://example.org/x/page.html")
    assert links.images == ("https://example.org/x/a.jpg",)


@pytest.mark.parametrize(
    ("srcset", "expected"),
    [
        ("a.jpg", ["a.jpg"]),
        ("a.jpg 1x, b.jpg 2x", ["a.jpg", "b.jpg"]),
        ("a.jpg 100w,b.jpg 200w,  c.jpg 300w", ["a.jpg", "b.jpg", "c.jpg"]),
        ("a.jpg,b.jpg", ["a.jpg,b.jpg"]),  # per the HTML spec: one URL with a comma
        ("  \n a.jpg\t2x ,\n b.jpg  ", ["a.jpg", "b.jpg"]),
        ("https://x/c_fill,w_100/a.jpg 1x", ["https://x/c_fill,w_100/a.jpg"]),
        ("a.jpg 100w 200h, b.jpg", ["a.jpg", "b.jpg"]),
        (",,,", []),
        ("", []),
    ],
)
def test_parse_srcset(srcset: str, expected: list[str]) -> None:
    assert parse_srcset(srcset) == expected


def test_css_urls_handles_quotes_and_spacing() -> None:
    css = """a{background:url( "one.jpg" )} b{background:URL('two.png')} c{x:url(three.gif)}"""
    assert css_urls(css) == ["one.jpg", "two.png", "three.gif"]


def test_charset_from_content_type_wins_over_meta() -> None:
    html = '<meta charset="utf-8"><img src="/caf\u00e9.jpg">'.encode("latin-1")
    links = extract_page(
        html, page_url="https://example.org/", content_type="text/html; charset=latin-1"
    )
    assert links.images == ("https://example.org/caf\u00e9.jpg",)


def test_charset_from_meta_when_no_header() -> None:
    html = '<meta charset="windows-1251"><img src="/\u0444\u043e\u0442\u043e.jpg">'.encode("cp1251")
    links = extract_page(html, page_url="https://example.org/")
    assert links.images == ("https://example.org/\u0444\u043e\u0442\u043e.jpg",)


def test_unknown_charset_falls_back_to_utf8() -> None:
    html = '<img src="/\u00e9.jpg">'.encode()
    links = extract_page(
        html, page_url="https://example.org/", content_type="text/html; charset=bogus"
    )
    assert links.images == ("https://example.org/\u00e9.jpg",)


def test_xhtml_with_xml_declaration() -> None:
    html = (
        b'<?xml version="1.0" encoding="utf-8"?>\n'
        b'<html xmlns="http://www.w3.org/1999/xhtml"><body><img src="a.png"/></body></html>'
    )
    assert extract_page(html, page_url="https://example.org/").images == (
        "https://example.org/a.png",
    )


def test_links_are_capped() -> None:
    html = b"".join(b'<a href="/p%d.html">p</a>' % i for i in range(MAX_LINKS + 100))
    assert len(extract_page(html, page_url="https://example.org/").links) == MAX_LINKS


@pytest.mark.parametrize(
    "html",
    [
        b"",
        b"   \n ",
        b"<!-- only a comment -->",
        b"\x00\xff\xfe\x00garbage\x00",
        b"<html><body><img src='a.jpg'",
        b"<img src='http://[::1'>",
        b"<img src='http://[broken/a.jpg'><a href='http://exa mple.org:99999/'>x</a>",
        b"<img srcset='" + b", , ,x" * 50_000 + b"'>",
        b"<div style='" + b"url(" * 100_000 + b"'>",
        b"<div style='" + b"url(" + b"a" * 100_000 + b"'>" * 1000,
        b"<div style='" + b'url("' + b"a" * 5000 + b"'>" * 1000,
        b"<style>" + b'url("' * 200_000 + b"</style>",
        b"<img src='" + b"a" * 100_000 + b".jpg'>",
    ],
)
def test_hostile_html_never_raises(html: bytes) -> None:
    assert isinstance(extract_page(html, page_url="https://example.org/"), PageLinks)


def test_empty_input_gives_empty_result() -> None:
    assert extract_page(b"", page_url="https://example.org/") == PageLinks(images=(), links=())


def test_unclosed_tags_still_yield_images() -> None:
    html = b"<html><body><div><p><img src=a.jpg><table><tr><td><img src=b.jpg>"
    assert extract_page(html, page_url="https://example.org/").images == (
        "https://example.org/a.jpg",
        "https://example.org/b.jpg",
    )


def test_deep_but_plausible_nesting_is_parsed() -> None:
    html = b"<body>" + b"<div>" * 1000 + b"<img src=deep.jpg>" + b"</div>" * 1000
    assert extract_page(html, page_url="https://example.org/").images == (
        "https://example.org/deep.jpg",
    )


def test_ten_megabytes_of_nested_tags_terminates() -> None:
    html = b"<div><span><img src=x.jpg>" * 400_000
    links = extract_page(html, page_url="https://example.org/")
    assert links.images == ("https://example.org/x.jpg",)


def test_five_megabytes_of_random_bytes_terminates() -> None:
    links = extract_page(os.urandom(5_000_000), page_url="https://example.org/")
    assert isinstance(links, PageLinks)


def test_many_unclosed_paragraphs_with_images_are_capped() -> None:
    html = b"".join(b"<p><img src=/i%d.jpg>" % i for i in range(100_000))
    links = extract_page(html, page_url="https://example.org/")
    assert len(links.images) == MAX_IMAGES
    assert links.images[0] == "https://example.org/i0.jpg"


def test_noscript_and_template_fallback_images_are_found() -> None:
    html = (
        b"<body><img class=lazy data-src=lazy.jpg><noscript><img src=fallback.jpg></noscript>"
        b"<template><img src=template.jpg></template>"
        b"<script>document.write('<img src=script.jpg>')</script>"
        b"<textarea><img src=t.jpg></textarea>"
    )
    assert extract_page(html, page_url="https://example.org/").images == (
        "https://example.org/lazy.jpg",
        "https://example.org/fallback.jpg",
        "https://example.org/template.jpg",
    )
