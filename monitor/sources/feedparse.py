"""RSS, Atom and JSON Feed documents -> entries with a page URL and image URLs. Pure.

XML is parsed with defusedxml's ElementTree rather than feedparser: feedparser is lenient about
broken markup but does not refuse entity declarations, so a billion-laughs or external-entity
document would be expanded or followed. defusedxml refuses every entity declaration up front
(a bomb fails in microseconds, `file:///etc/passwd` is never opened) and leaves the rest to the
stdlib expat parser. The cost is strictness: a feed that is not well-formed XML is refused with
a `FeedError` that says so, instead of being guessed at.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit
from xml.etree.ElementTree import Element, ParseError, tostring

import defusedxml.ElementTree as SafeElementTree
from bs4 import BeautifulSoup
from defusedxml import DefusedXmlException

from monitor.errors import FeedError
from monitor.fetch.extract import absolute_http_url, extract_page, has_image_extension

logger = logging.getLogger(__name__)

ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"
MEDIA = "{http://search.yahoo.com/mrss/}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_MAX_TITLE_CHARS = 1000
_XML_ENCODING = re.compile(
    rb"""\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']"""
)
# google.com, www.google.co.uk, google.com.au, ...: the hosts of Google's /url redirect.
_GOOGLE_HOST = re.compile(r"(?:www\.)?google\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})")


@dataclass(frozen=True)
class FeedEntry:
    """One item of a feed: the page it points at (if any) and images it embeds or attaches."""

    page_url: str | None
    image_urls: tuple[str, ...]
    title: str | None
    published: datetime | None


def parse_feed(data: bytes, *, feed_url: str) -> list[FeedEntry]:
    """The entries of an RSS (0.9x, 1.0, 2.0), Atom or JSON Feed document, in document order.

    Relative URLs resolve against `feed_url` (and xml:base); Google redirect links are unwrapped
    to their target. Entries with neither a page nor an image are left out. Raises `FeedError`
    for anything that is not a readable feed.
    """
    body = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        raise FeedError(feed_url, "the response is empty; expected an RSS or Atom feed")
    if body.startswith((b"{", b"[")):
        return _json_feed_entries(body, feed_url=feed_url)
    root = _parse_xml(data, feed_url=feed_url)
    base = _xml_base(root, feed_url)
    if root.tag == "rss":
        items = [
            (item, "") for channel in root.findall("channel") for item in channel.findall("item")
        ]
    elif root.tag == RDF:
        items = [(item, RSS1) for item in root.findall(f"{RSS1}item")]
    elif root.tag == f"{ATOM}feed":
        return _kept(_atom_entry(entry, base=base) for entry in root.findall(f"{ATOM}entry"))
    else:
        raise FeedError(
            feed_url,
            f"not an RSS or Atom feed: the document's root element is <{_local_name(root.tag)}>",
        )
    return _kept(_rss_entry(item, base=base, namespace=namespace) for item, namespace in items)


def _parse_xml(data: bytes, *, feed_url: str) -> Element:
    try:
        try:
            return SafeElementTree.fromstring(data)
        except ValueError as error:
            if isinstance(error, DefusedXmlException) or "multi-byte" not in str(error):
                raise
            # expat decodes only single-byte encodings itself; Shift_JIS, GB2312... decode here
            return SafeElementTree.fromstring(_decode_declared(data))
    except DefusedXmlException as error:
        raise FeedError(
            feed_url,
            f"refused: the document declares XML entities ({type(error).__name__}); feeds never "
            "need them, and they are how entity-expansion and file-disclosure attacks work",
        ) from None
    except LookupError as error:  # e.g. encoding="x-bogus" or "base64" in the XML declaration
        raise FeedError(
            feed_url, f"the feed declares an encoding that cannot be read ({error})"
        ) from None
    except (ParseError, ValueError) as error:
        if _looks_like_html(data):
            raise FeedError(
                feed_url,
                "not an RSS or Atom feed: the response is an HTML page; use the address of the "
                "site's feed, or watch the page with a `pages` source",
            ) from None
        raise FeedError(
            feed_url, f"not an RSS or Atom feed: the response is not well-formed XML ({error})"
        ) from None


def _decode_declared(data: bytes) -> str:
    declaration = _XML_ENCODING.match(data)
    name = declaration.group(1).decode("ascii") if declaration else "utf-8"
    return data.decode(name, errors="replace")


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lower()
    return b"<html" in head or b"<!doctype html" in head


def _kept(entries: Iterable[FeedEntry]) -> list[FeedEntry]:
    return [entry for entry in entries if entry.page_url or entry.image_urls]


def _rss_entry(item: Element, *, base: str, namespace: str) -> FeedEntry:
    base = _xml_base(item, base)
    page_url = _feed_url(item.findtext(f"{namespace}link"), base=base)
    if page_url is None:
        page_url = _permalink_guid(item, base=base)
    images: list[str | None] = []
    for enclosure in item.findall("enclosure"):
        url = enclosure.get("url")
        if _is_image(url, mime=enclosure.get("type")):
            images.append(url)
    images.extend(_media_images(item))
    for field in (f"{namespace}description", CONTENT_ENCODED):
        images.extend(_html_images(item.findtext(field), base=base))
    published = _rfc822_date(item.findtext("pubDate")) or _iso_date(item.findtext(DC_DATE))
    return FeedEntry(
        page_url=page_url,
        image_urls=_image_urls(images, base=base),
        title=_plain_text(item.findtext(f"{namespace}title")),
        published=published,
    )


def _permalink_guid(item: Element, *, base: str) -> str | None:
    guid = item.find("guid")
    if guid is None or guid.get("isPermaLink", "true").lower() != "true":
        return None
    return _feed_url(guid.text, base=base)


def _atom_entry(entry: Element, *, base: str) -> FeedEntry:
    base = _xml_base(entry, base)
    links = [link for link in entry.findall(f"{ATOM}link") if link.get("href")]
    alternates = [link for link in links if link.get("rel", "alternate") == "alternate"]
    others = [link for link in links if link.get("rel") != "enclosure"]
    page_link = next(iter(alternates or others), None)
    images: list[str | None] = [
        link.get("href")
        for link in links
        if link.get("rel") == "enclosure" and _is_image(link.get("href"), mime=link.get("type"))
    ]
    images.extend(_media_images(entry))
    for field in ("content", "summary"):
        element = entry.find(f"{ATOM}{field}")
        if element is not None:
            images.extend(_html_images(_atom_text_html(element), base=base))
    title = entry.find(f"{ATOM}title")
    return FeedEntry(
        page_url=None if page_link is None else _feed_url(page_link.get("href"), base=base),
        image_urls=_image_urls(images, base=base),
        title=None if title is None else _plain_text(_atom_text_html(title)),
        published=_iso_date(entry.findtext(f"{ATOM}published"))
        or _iso_date(entry.findtext(f"{ATOM}updated")),
    )


def _atom_text_html(element: Element) -> str:
    if element.get("type") != "xhtml":
        return element.text or ""
    for node in element.iter():  # un-namespace the inline XHTML so it reads as plain HTML
        node.tag = _local_name(node.tag)
    try:
        return "".join(tostring(child, encoding="unicode") for child in element)
    except RecursionError:  # absurdly deep markup: give up on this field only
        return ""


def _media_images(element: Element) -> list[str | None]:
    images: list[str | None] = []
    for content in element.iter(f"{MEDIA}content"):
        url = content.get("url")
        if content.get("medium") or content.get("type"):
            if _is_image(url, mime=content.get("type"), medium=content.get("medium")):
                images.append(url)
        else:  # media:content with no hint is an image in practice; a wrong guess costs one fetch
            images.append(url)
    images.extend(thumbnail.get("url") for thumbnail in element.iter(f"{MEDIA}thumbnail"))
    return images


def _is_image(url: str | None, *, mime: str | None, medium: str | None = None) -> bool:
    if not url:
        return False
    if medium:
        return medium.strip().lower() == "image"
    if mime:
        return mime.strip().lower().startswith("image/")
    return has_image_extension(url)


def _html_images(html: str | None, *, base: str) -> list[str | None]:
    if not html or "<" not in html:
        return []
    return list(extract_page(html.encode("utf-8", errors="replace"), page_url=base).images)


def _image_urls(candidates: Iterable[str | None], *, base: str) -> tuple[str, ...]:
    urls = (_feed_url(candidate, base=base) for candidate in candidates)
    return tuple(dict.fromkeys(url for url in urls if url is not None))


def _feed_url(raw: str | None, *, base: str) -> str | None:
    """An absolute http(s) URL from a feed, with Google's redirect wrapper taken off."""
    if not raw:
        return None
    url = absolute_http_url(raw, base=base)
    return None if url is None else unwrap_google_redirect(url)


def unwrap_google_redirect(url: str) -> str | None:
    """The target of a Google redirect (`https://www.google.com/url?...&url=TARGET&...`).

    Other URLs come back unchanged; a Google redirect without a usable http(s) target gives None,
    so the redirect itself is never treated as the page.
    """
    parts = urlsplit(url)
    if parts.path != "/url" or not _GOOGLE_HOST.fullmatch(parts.hostname or ""):
        return url
    query = parse_qs(parts.query)
    for key in ("url", "q"):
        for target in query.get(key, []):
            absolute = absolute_http_url(target, base="")  # no base: only absolute targets
            if absolute is not None:
                return absolute
    return None


def _xml_base(element: Element, base: str) -> str:
    declared = element.get(XML_BASE)
    if not declared:
        return base
    try:
        return urljoin(base, declared.strip())
    except ValueError:
        return base


def _plain_text(text: str | None) -> str | None:
    if text is None:
        return None
    text = text[:_MAX_TITLE_CHARS]
    if "<" in text:
        text = BeautifulSoup(text, "html.parser").get_text()
    return " ".join(text.split()) or None


def _rfc822_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return _as_utc(parsedate_to_datetime(text.strip()))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _iso_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return _as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        return None


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _json_feed_entries(body: bytes, *, feed_url: str) -> list[FeedEntry]:
    """JSON Feed (jsonfeed.org), which the fetcher's Accept header invites."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise FeedError(
            feed_url, "not a feed: the response starts like JSON but is not valid JSON"
        ) from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise FeedError(feed_url, 'not a feed: JSON without "version": "https://jsonfeed.org/..."')
    items = document.get("items")
    return _kept(
        _json_feed_entry(item, base=feed_url)
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    )


def _json_feed_entry(item: dict[str, Any], *, base: str) -> FeedEntry:
    images: list[str | None] = [_string(item.get("image")), _string(item.get("banner_image"))]
    attachments = item.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        if isinstance(attachment, dict):
            url = _string(attachment.get("url"))
            if _is_image(url, mime=_string(attachment.get("mime_type"))):
                images.append(url)
    images.extend(_html_images(_string(item.get("content_html")), base=base))
    return FeedEntry(
        page_url=_feed_url(
            _string(item.get("url")) or _string(item.get("external_url")), base=base
        ),
        image_urls=_image_urls(images, base=base),
        title=_plain_text(_string(item.get("title"))),
        published=_iso_date(_string(item.get("date_published"))),
    )


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None
