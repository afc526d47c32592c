"""The sample web: pages in every embedding style, a Google-Alerts-style feed, planted copies.

`build_site(base_url)` returns every route with its body, plus the answer key: which image URLs
are planted copies of which original, and which are unrelated distractors.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

from monitor.demo.pictures import ALTERATIONS, draw_picture, encode

EMBEDDING_STYLES = (
    "img-src",
    "srcset",
    "lazy",
    "picture",
    "og-image",
    "twitter-image",
    "video-poster",
    "link",
    "background",
    "feed-enclosure",
    "alert-page",
)


@dataclass(frozen=True)
class Route:
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Planted:
    image_url: str
    page_url: str
    original: int
    alteration: str
    style: str


@dataclass
class SampleSite:
    base_url: str
    originals: list[bytes]
    routes: dict[str, Route] = field(default_factory=dict)
    planted: list[Planted] = field(default_factory=list)
    distractors: list[str] = field(default_factory=list)

    @property
    def pages_root(self) -> str:
        return f"{self.base_url}/"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/alerts/feed.xml"


def build_site(base_url: str, *, originals: int = 3, distractors: int = 12) -> SampleSite:
    base_url = base_url.rstrip("/")
    site = SampleSite(
        base_url=base_url,
        originals=[encode(draw_picture(seed), quality=92) for seed in range(originals)],
    )
    blocks: dict[str, list[str]] = {style: [] for style in EMBEDDING_STYLES}
    copies = [(index, name) for index in range(originals) for name in ALTERATIONS]
    for number, (index, name) in enumerate(copies):
        style = EMBEDDING_STYLES[number % len(EMBEDDING_STYLES)]
        body = encode(ALTERATIONS[name](draw_picture(index)), quality=85)
        path = _add_image(site, body)
        page = _page_for(style)
        site.planted.append(
            Planted(
                image_url=f"{base_url}{path}",
                page_url=f"{base_url}{page}",
                original=index,
                alteration=name,
                style=style,
            )
        )
        blocks[style].append(path)
    for number in range(distractors):
        body = encode(draw_picture(1000 + number), quality=85)
        path = _add_image(site, body)
        site.distractors.append(f"{base_url}{path}")
        blocks[EMBEDDING_STYLES[number % len(EMBEDDING_STYLES)]].append(path)
    _add_pages(site, blocks)
    return site


def _add_image(site: SampleSite, body: bytes) -> str:
    path = f"/media/{hashlib.sha256(body).hexdigest()[:16]}.jpg"
    site.routes[path] = Route("image/jpeg", body)
    return path


def _page_for(style: str) -> str:
    if style == "feed-enclosure":
        return "/alerts/feed.xml"
    if style == "alert-page":
        return "/news/story.html"
    return f"/gallery/{style}.html"


def _embed(style: str, path: str) -> tuple[str, str]:
    """(head markup, body markup) that shows the image at `path` in the given style."""
    relative = path.lstrip("/")
    if style == "img-src":
        return "", f'<img src="../{relative}" alt="">'
    if style == "srcset":
        return "", f'<img src="/static/small.gif" srcset="/static/small.gif 1x, {path} 2x" alt="">'
    if style == "lazy":
        return "", f'<img class="lazy" src="/static/small.gif" data-src="{path}" alt="">'
    if style == "picture":
        return "", (
            f'<picture><source srcset="{path}" type="image/jpeg">'
            '<img src="/static/small.gif" alt=""></picture>'
        )
    if style == "og-image":
        return f'<meta property="og:image" content="{path}">', ""
    if style == "twitter-image":
        return f'<meta name="twitter:image" content="{path}">', ""
    if style == "video-poster":
        return "", f'<video controls poster="{path}"></video>'
    if style == "link":
        return "", f'<a href="{path}">full size</a>'
    if style == "background":
        return "", f"<div style=\"width:200px;height:100px;background-image: url('{path}')\"></div>"
    return "", f'<img src="{path}" alt="">'


def _add_pages(site: SampleSite, blocks: dict[str, list[str]]) -> None:
    gallery_links = []
    for style in EMBEDDING_STYLES:
        if style == "feed-enclosure":
            continue
        heads, bodies = (
            zip(*(_embed(style, path) for path in blocks[style]), strict=True)
            if blocks[style]
            else ((), ())
        )
        page = _page_for(style)
        site.routes[page] = _html(f"Gallery {style}", "".join(heads), "".join(bodies))
        if style != "alert-page":
            gallery_links.append(f'<li><a href="{page}">{escape(style)}</a></li>')
    site.routes["/"] = _html(
        "Board",
        "",
        f"<ul>{''.join(gallery_links)}</ul>"
        '<a href="https://elsewhere.example/">an off-site link that is never followed</a>',
    )
    site.routes["/static/small.gif"] = Route(
        "image/gif",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
        b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    )
    site.routes["/alerts/feed.xml"] = Route(
        "application/atom+xml", _alerts_feed(site, blocks["feed-enclosure"])
    )


def _alerts_feed(site: SampleSite, enclosures: list[str]) -> bytes:
    """An Atom feed shaped like Google Alerts: links go through google.com/url?url=..."""
    story = f"{site.base_url}/news/story.html"
    wrapped = (
        f"https://www.google.com/url?rct=j&amp;sa=t&amp;url={quote(story, safe='')}"
        "&amp;ct=ga&amp;cd=CAIyGjE&amp;usg=AOvVaw0"
    )
    enclosure_links = "".join(
        f'<link rel="enclosure" type="image/jpeg" href="{site.base_url}{path}"/>'
        for path in enclosures
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">'
        "<id>tag:google.com,2005:reader/user/00000000000000000000/state/com.google/alerts/0</id>"
        "<title>Google Alert - case</title><updated>2026-11-22T10:00:00Z</updated>"
        f'<entry><id>tag:google.com,2013:googlealerts/feed:1</id><title type="html">A story</title>'
        f'<link href="{wrapped}"/><published>2026-11-22T09:00:00Z</published>'
        "<updated>2026-11-22T09:00:00Z</updated>"
        '<content type="html">a story</content></entry>'
        f"<entry><id>tag:google.com,2013:googlealerts/feed:2</id><title>Pictures</title>"
        f"{enclosure_links}<updated>2026-11-22T09:30:00Z</updated></entry>"
        "</feed>"
    ).encode()


def _html(title: str, head: str, body: str) -> Route:
    return Route(
        "text/html; charset=utf-8",
        (
            f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"{head}</head><body><h1>{escape(title)}</h1>{body}</body></html>"
        ).encode(),
    )
