"""What the search API clients share: a found result, the ways a search fails, and how a result
becomes candidates.

A search engine's opinion never becomes a sighting by itself: every result is handed to the
pipeline as a page to read and an image to fetch, fingerprint and match like any other.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.errors import FetchError
from monitor.sources.base import Candidate
from monitor.sources.fields import check_http_url

MAX_URL_LENGTH = 4096
# Results that point back at a search engine's own pages are its interface, not a copy.
_ENGINE_LABELS = frozenset({"google", "gstatic", "bing", "yandex", "serpapi", "tineye"})


@dataclass(frozen=True)
class Found:
    """One search result: the page an image is on, the image itself, or both."""

    page_url: str | None
    image_url: str | None


class ApiKeyError(FetchError):
    """The API refused the key: missing, wrong or revoked. The sweep of the source fails."""


class QuotaExhaustedError(FetchError):
    """The account has no searches left."""


class RateLimitedError(FetchError):
    """Too many requests for now; `retry_after` says in how many seconds, when the API said."""

    def __init__(self, url: str, reason: str, *, retry_after: float | None) -> None:
        super().__init__(url, reason)
        self.retry_after = retry_after


class SearchRefusedError(FetchError):
    """The API refused this one query (e.g. it could not download the seed image); asking
    again at once would get the same answer."""


def public_url(value: object) -> str | None:
    """`value` if it is an http(s) URL with a host that is not a search engine's, else None.
    Result fields come from a stranger's JSON: anything else is skipped."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        return None
    try:
        check_http_url(value)
        host = (urlsplit(value).hostname or "").rstrip(".")
    except ValueError:
        return None
    if _ENGINE_LABELS.intersection(host.split(".")):
        return None
    return value


def error_text(body: object, *keys: str) -> str | None:
    """The API's own error message under `keys` (first found), shortened for a log line."""
    if not isinstance(body, Mapping):
        return None
    for key in keys:
        value = body.get(key)
        if isinstance(value, list):
            value = "; ".join(str(part) for part in value if isinstance(part, str | int))
        if isinstance(value, str) and value.strip():
            text = " ".join(value.split())
            return text if len(text) <= 300 else text[:297] + "..."
    return None


def candidates_from(found: Found, *, source: str) -> Iterator[Candidate]:
    """The page (its images only: depth 0) and the image a result points at."""
    if found.page_url is not None:
        yield Candidate(
            url=found.page_url, kind="page", source=source, page_url=found.page_url, depth=0
        )
    if found.image_url is not None:
        yield Candidate(
            url=found.image_url,
            kind="image",
            source=source,
            page_url=found.page_url or found.image_url,
        )
