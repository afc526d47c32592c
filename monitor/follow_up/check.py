"""One re-check of one sighting: does its image URL, or its page, still serve a matching image?

The answer is one of three outcomes:
  present       a matching image is still served (at the image URL, or on the page elsewhere)
  absent        both are gone: 404/410/451, the host no longer exists, the image was replaced by
                one that does not match, or the page no longer shows a matching image
  inconclusive  a timeout, a 5xx, a refused connection...: says nothing either way
Image bytes are fingerprinted in memory and dropped; nothing is written anywhere.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Literal

from monitor.errors import FetchError, HttpStatusError, ImageDecodeError, ImageError
from monitor.fetch.client import Fetcher
from monitor.fetch.extract import extract_page
from monitor.fingerprint import Hash, IndexEntry, MatchIndex, MatchSettings, fingerprint_candidate

Outcome = Literal["present", "absent", "inconclusive"]

# Statuses that mean the content is gone; 451 is "unavailable for legal reasons", a takedown.
GONE_STATUSES = frozenset({404, 410, 451})
HOST_NOT_FOUND = "host not found"  # the reason monitor.fetch gives when DNS has no such name


@dataclass(frozen=True)
class Reference:
    """What the sighting showed: the enrolled item's hashes and the digests of exact copies."""

    client_id: str
    item_id: int
    hashes: tuple[Hash, ...]
    sha256s: frozenset[str]


@dataclass(frozen=True)
class Probe:
    """What one URL gave: an outcome, the HTTP status if there was one, and a short label."""

    outcome: Outcome
    status: int | None
    label: str


@dataclass(frozen=True)
class CheckResult:
    outcome: Outcome
    image: Probe
    page: Probe | None  # None when the page was not needed or is the image itself

    @property
    def detail(self) -> str:
        parts = [f"image: {self.image.label}"]
        if self.page is not None:
            parts.append(f"page: {self.page.label}")
        return "; ".join(parts)


class SightingChecker:
    """Checks sightings through the one `Fetcher`, with its address, size and time guards."""

    def __init__(
        self, *, fetcher: Fetcher, matching: MatchSettings, max_pixels: int, page_images: int
    ) -> None:
        self._fetcher = fetcher
        self._matching = matching
        self._max_pixels = max_pixels
        self._page_images = page_images

    async def check(self, *, image_url: str, page_url: str, reference: Reference) -> CheckResult:
        index = MatchIndex(
            (
                IndexEntry(client_id=reference.client_id, item_id=reference.item_id, hash=item)
                for item in reference.hashes
            ),
            settings=self._matching,
        )
        image = await self._probe_image(image_url, reference=reference, index=index)
        if image.outcome == "present" or page_url == image_url:
            return CheckResult(outcome=image.outcome, image=image, page=None)
        page = await self._probe_page(
            page_url, image_url=image_url, reference=reference, index=index
        )
        if page.outcome == "present":
            outcome: Outcome = "present"
        elif image.outcome == "absent" and page.outcome == "absent":
            outcome = "absent"
        else:
            outcome = "inconclusive"
        return CheckResult(outcome=outcome, image=image, page=page)

    async def _probe_image(self, url: str, *, reference: Reference, index: MatchIndex) -> Probe:
        try:
            fetched = await self._fetcher.fetch_image(url)
        except FetchError as error:
            return probe_of_fetch_error(error)
        if hashlib.sha256(fetched.body).hexdigest() in reference.sha256s:
            return Probe(outcome="present", status=fetched.status, label=str(fetched.status))
        try:
            hashes = await asyncio.to_thread(
                fingerprint_candidate, fetched.body, max_pixels=self._max_pixels
            )
        except ImageDecodeError:
            return Probe(outcome="absent", status=fetched.status, label="no longer an image")
        except ImageError as error:
            return Probe(outcome="inconclusive", status=fetched.status, label=str(error))
        if index.match(hashes):
            return Probe(outcome="present", status=fetched.status, label=str(fetched.status))
        return Probe(outcome="absent", status=fetched.status, label="replaced by another image")

    async def _probe_page(
        self, url: str, *, image_url: str, reference: Reference, index: MatchIndex
    ) -> Probe:
        try:
            fetched = await self._fetcher.fetch_page(url)
        except FetchError as error:
            return probe_of_fetch_error(error)
        links = extract_page(
            fetched.body,
            page_url=fetched.final_url,
            content_type=fetched.headers.get("content-type"),
        )
        others = [found for found in links.images if found != image_url][: self._page_images]
        for other in others:
            probe = await self._probe_image(other, reference=reference, index=index)
            if probe.outcome == "present":
                return Probe(outcome="present", status=fetched.status, label=f"shown at {other}")
        label = "still links the image URL" if image_url in links.images else "no longer shows it"
        return Probe(outcome="absent", status=fetched.status, label=label)


def probe_of_fetch_error(error: FetchError) -> Probe:
    """404/410/451 and a host that no longer exists say "gone"; anything else says nothing."""
    if isinstance(error, HttpStatusError):
        outcome: Outcome = "absent" if error.status in GONE_STATUSES else "inconclusive"
        return Probe(outcome=outcome, status=error.status, label=str(error.status))
    if error.reason == HOST_NOT_FOUND:
        return Probe(outcome="absent", status=None, label=HOST_NOT_FOUND)
    return Probe(outcome="inconclusive", status=None, label=error.reason[:200])
