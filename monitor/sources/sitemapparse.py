"""Sitemaps (sitemaps.org) -> page URLs with lastmod and images, or child sitemaps. Pure.

Reads `<urlset>` sitemaps with Google's image extension (`<image:image><image:loc>`),
`<sitemapindex>` indexes, plain-text sitemaps (one URL a line) and RSS/Atom feeds, the formats
sitemaps.org accepts; gzip files (`.xml.gz`) are recognised by their bytes, not their name.

A sitemap may hold 50,000 URLs and 50 MB, so XML is read as a stream with defusedxml's SAX
parser, fed in bounded steps straight from the gunzipper: memory stays at one entry, whatever
the size, and a gzip bomb is refused after `max_bytes`. As in `monitor.sources.feedparse`,
defusedxml refuses entity declarations (billion laughs, external entities) up front.
"""

from __future__ import annotations

import logging
import re
import xml.sax
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.handler import ContentHandler, feature_namespaces

import defusedxml.sax
from defusedxml import DefusedXmlException

from monitor.errors import FeedError
from monitor.fetch.extract import absolute_http_url
from monitor.sources.feedparse import parse_feed
from monitor.sources.gzipped import GzipError, gunzip_chunks, is_gzip

logger = logging.getLogger(__name__)

IMAGE_NAMESPACE = "http://www.google.com/schemas/sitemap-image/1.1"
MAX_SITEMAP_BYTES = 52_428_800  # 50 MiB uncompressed: the protocol's limit
MAX_ENTRIES = 50_000  # per sitemap file: the protocol's limit
MAX_IMAGES_PER_URL = 1000  # Google's limit for image sitemaps
MAX_ROBOTS_SITEMAPS = 50
_MAX_ELEMENTS_PER_ENTRY = 5000
_MAX_TEXT_CHARS = 4096
_ROBOTS_BYTES = 512_000  # Google reads the first 500 KiB of robots.txt
_FEED_ROOTS = frozenset({"rss", "feed", "RDF"})
_W3C_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?")
# An absolute http(s) URL with a plain host and no fragment, as sitemaps are meant to hold;
# taken as it is (parsing 100,000 URLs with urllib would take most of a sweep's time).
_PLAIN_ABSOLUTE_URL = re.compile(r"https?://[^\s/?#@\\]+(?:[/?][^\s#]*)?", re.ASCII)


@dataclass(frozen=True)
class SitemapEntry:
    """A page (with the images an image sitemap lists for it) or, in an index, a sitemap."""

    url: str
    lastmod: datetime | None
    images: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sitemap:
    """One sitemap file: `pages` from a urlset (or text, or feed), `sitemaps` from an index."""

    pages: tuple[SitemapEntry, ...] = ()
    sitemaps: tuple[SitemapEntry, ...] = ()

    @property
    def is_index(self) -> bool:
        return bool(self.sitemaps)


def parse_sitemap(data: bytes, *, sitemap_url: str, max_bytes: int = MAX_SITEMAP_BYTES) -> Sitemap:
    """The entries of a sitemap, sitemap index, text sitemap or feed, gzipped or not.

    Raises `FeedError` with the reason for anything else: HTML, not XML, entity declarations,
    corrupt gzip, more than `max_bytes` once decompressed, an element that is not a sitemap's.
    """
    chunks = _chunks(data, max_bytes=max_bytes)
    try:
        first = next(chunks, b"")
        head = first.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head:
            raise FeedError(sitemap_url, "the response is empty; expected a sitemap")
        if _looks_like_html(head):
            raise FeedError(sitemap_url, _HTML_REASON)
        if head.startswith((b"http://", b"https://")):
            return _text_sitemap(first + b"".join(chunks), base=sitemap_url)
        if not head.startswith(b"<"):
            raise FeedError(sitemap_url, "not a sitemap: the response is neither XML nor URLs")
        return _xml_sitemap(first, chunks, sitemap_url=sitemap_url, max_bytes=max_bytes)
    except GzipError as error:
        raise FeedError(sitemap_url, f"refused: {error}") from None


def sitemaps_in_robots_txt(data: bytes, *, robots_url: str) -> list[str]:
    """The `Sitemap:` URLs of a robots.txt, in order, without repeats."""
    found: dict[str, None] = {}
    for line in data[:_ROBOTS_BYTES].decode("utf-8", errors="replace").splitlines():
        field, _, value = line.split("#", 1)[0].partition(":")
        if field.strip().lower() == "sitemap":
            url = absolute_http_url(value.strip(), base=robots_url)
            if url is not None and len(found) < MAX_ROBOTS_SITEMAPS:
                found.setdefault(url, None)
    return list(found)


def parse_lastmod(text: str | None) -> datetime | None:
    """A W3C datetime ("2024-05-01", "2024-05-01T10:20:30+02:00", "2024-05") in UTC."""
    if not text:
        return None
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        partial = _W3C_PARTIAL_DATE.fullmatch(text)
        if partial is None:
            return None
        try:
            value = datetime(int(partial.group(1)), int(partial.group(2) or 1), 1)
        except ValueError:
            return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_HTML_REASON = (
    "not a sitemap: the response is an HTML page; give the sitemap's address "
    "(often /sitemap.xml, or the one robots.txt names) or the site's root address"
)


def _chunks(data: bytes, *, max_bytes: int) -> Iterator[bytes]:
    if is_gzip(data):
        yield from gunzip_chunks(data, max_bytes=max_bytes)
        return
    if len(data) > max_bytes:
        raise GzipError(f"it is more than {max_bytes} bytes")
    for start in range(0, len(data), 65_536):
        yield data[start : start + 65_536]


def _looks_like_html(head: bytes) -> bool:
    start = head[:512].lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<html" in start


def _text_sitemap(data: bytes, *, base: str) -> Sitemap:
    pages: dict[str, SitemapEntry] = {}
    for line in data.decode("utf-8-sig", errors="replace").splitlines():
        text = line.strip()
        url = _entry_url(text, base=base) if text.startswith(("http://", "https://")) else None
        if url is not None and len(pages) < MAX_ENTRIES:
            pages.setdefault(url, SitemapEntry(url=url, lastmod=None))
    return Sitemap(pages=tuple(pages.values()))


class _Stop(Exception):
    """Raised by the handler to end the parse early (a feed root, or enough entries)."""


class _SitemapHandler(ContentHandler):
    """SAX events -> entries, holding one entry at a time."""

    def __init__(self, *, sitemap_url: str) -> None:
        super().__init__()
        self.sitemap_url = sitemap_url
        self.root: str | None = None
        self.entries: list[SitemapEntry] = []
        self.is_feed = False
        self.truncated = False
        self._depth = 0
        self._in_entry = False
        self._in_image = False
        self._elements = 0
        self._field: str | None = None
        self._text: list[str] = []
        self._text_chars = 0
        self._loc: str | None = None
        self._lastmod: str | None = None
        self._images: dict[str, None] = {}

    def startElementNS(
        self, name: tuple[str | None, str], qname: str | None, attrs: object
    ) -> None:
        namespace, local = name
        self._depth += 1
        if self._depth == 1:
            self._start_root(local)
        elif self._depth == 2:
            self._in_entry = local in ("url", "sitemap")
            self._elements, self._loc, self._lastmod, self._images = 0, None, None, {}
        elif self._in_entry:
            self._elements += 1
            if self._elements > _MAX_ELEMENTS_PER_ENTRY:
                raise FeedError(
                    self.sitemap_url,
                    f"refused: an entry has more than {_MAX_ELEMENTS_PER_ENTRY} elements",
                )
            is_image = namespace == IMAGE_NAMESPACE
            if self._depth == 3 and not is_image and local in ("loc", "lastmod"):
                self._start_field(local)
            elif self._depth == 3 and is_image and local == "image":
                self._in_image = True
            elif self._depth == 4 and self._in_image and is_image and local == "loc":
                self._start_field("image")

    def characters(self, content: str) -> None:
        if self._field is not None and self._text_chars <= _MAX_TEXT_CHARS:
            self._text.append(content)
            self._text_chars += len(content)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        if self._field is not None:
            self._end_field()
        if self._depth == 3:
            self._in_image = False
        elif self._depth == 2 and self._in_entry:
            self._end_entry()
        self._depth -= 1

    def _start_root(self, local: str) -> None:
        self.root = local
        if local in _FEED_ROOTS:
            self.is_feed = True
            raise _Stop
        if local not in ("urlset", "sitemapindex"):
            reason = (
                _HTML_REASON
                if local.lower() == "html"
                else f"not a sitemap: the document's root element is <{local}>, "
                "not <urlset> or <sitemapindex>"
            )
            raise FeedError(self.sitemap_url, reason)

    def _start_field(self, field: str) -> None:
        self._field, self._text, self._text_chars = field, [], 0

    def _end_field(self) -> None:
        text = "".join(self._text).strip() if self._text_chars <= _MAX_TEXT_CHARS else ""
        if self._field == "loc":
            self._loc = text
        elif self._field == "lastmod":
            self._lastmod = text
        elif self._field == "image" and len(self._images) < MAX_IMAGES_PER_URL:
            url = _entry_url(text, base=self.sitemap_url)
            if url is not None:
                self._images.setdefault(url, None)
        self._field = None

    def _end_entry(self) -> None:
        url = _entry_url(self._loc, base=self.sitemap_url)
        if url is None:
            logger.debug("sitemap %s: an entry without a usable <loc> skipped", self.sitemap_url)
            return
        if len(self.entries) >= MAX_ENTRIES:
            self.truncated = True
            raise _Stop
        self.entries.append(
            SitemapEntry(url=url, lastmod=parse_lastmod(self._lastmod), images=tuple(self._images))
        )


def _entry_url(text: str | None, *, base: str) -> str | None:
    if not text:
        return None
    if len(text) <= _MAX_TEXT_CHARS and _PLAIN_ABSOLUTE_URL.fullmatch(text):
        return text
    return absolute_http_url(text, base=base)


def _xml_sitemap(
    first: bytes, rest: Iterator[bytes], *, sitemap_url: str, max_bytes: int
) -> Sitemap:
    handler = _SitemapHandler(sitemap_url=sitemap_url)
    parser = defusedxml.sax.make_parser()
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    received = [first]  # kept only until the root element says whether this is a feed
    try:
        parser.feed(first)
        for chunk in rest:
            if handler.root is None:
                received.append(chunk)
            else:
                received.clear()
            parser.feed(chunk)
        parser.close()
    except _Stop:
        pass
    except DefusedXmlException as error:
        raise FeedError(
            sitemap_url,
            f"refused: the document declares XML entities ({type(error).__name__}); sitemaps "
            "never need them, and they are how entity-expansion and file-disclosure attacks work",
        ) from None
    except xml.sax.SAXParseException as error:
        reason = f"not a sitemap: the response is not well-formed XML ({error.getMessage()})"
        raise FeedError(sitemap_url, reason) from None
    except (xml.sax.SAXException, LookupError, ValueError) as error:
        if isinstance(error, GzipError):
            raise
        reason = f"the sitemap cannot be read ({error})"
        raise FeedError(sitemap_url, reason) from None
    if handler.is_feed:
        document = b"".join([*received, *rest])
        return Sitemap(pages=tuple(_feed_pages(document, sitemap_url=sitemap_url)))
    if handler.truncated:
        logger.info("sitemap %s lists over %d URLs; the rest are ignored", sitemap_url, MAX_ENTRIES)
    if handler.root == "sitemapindex":
        return Sitemap(sitemaps=tuple(handler.entries))
    return Sitemap(pages=tuple(handler.entries))


def _feed_pages(document: bytes, *, sitemap_url: str) -> Iterator[SitemapEntry]:
    for entry in parse_feed(document, feed_url=sitemap_url)[:MAX_ENTRIES]:
        if entry.page_url is not None:
            yield SitemapEntry(url=entry.page_url, lastmod=entry.published, images=entry.image_urls)
