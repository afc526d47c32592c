"""A small TinEye API client: search by image URL, and the searches left.

Shaped on TinEye's documentation: `GET {endpoint}search/?image_url=...` with the key in the
`x-api-key` header, answered with `{"code": 200, "messages": [], "stats": {...},
"results": {"matches": [{"image_url", "domain", "backlinks": [{"url", "backlink",
"crawl_date"}]}]}}`. A match's own `image_url` is TinEye's copy; each backlink names the image
on the web (`url`) and the page it is on (`backlink`). Errors come with the same `code` and
`messages`: 400 the image could not be used, 401 a bad key, 402 no searches left, 429 too
many requests. `GET {endpoint}remaining_searches/` gives `total_remaining_searches`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from monitor.errors import FetchError
from monitor.fetch.client import ApiResponse, Fetcher
from monitor.sources.api_pacing import retry_after_seconds
from monitor.sources.search_api import (
    ApiKeyError,
    Found,
    QuotaExhaustedError,
    RateLimitedError,
    SearchRefusedError,
    error_text,
    public_url,
)

logger = logging.getLogger(__name__)

TINEYE_ENDPOINT = "https://api.tineye.com/rest/"
RESULTS_PER_SEARCH = 100
# TinEye answers an image it cannot fingerprint with code 500 and these words.
_IMAGE_UNUSABLE = ("no_signature", "too simple", "too small")


class TinEyeClient:
    """One TinEye API account. `key_setting` names the config key holding the API key."""

    def __init__(self, *, endpoint: str, api_key: str, key_setting: str) -> None:
        self._endpoint = endpoint.rstrip("/") + "/"
        self._api_key = api_key
        self._key_setting = key_setting

    async def search(self, fetcher: Fetcher, *, image_url: str) -> list[Found]:
        """The images on the web that TinEye matches to the one at `image_url`, each with the
        page it is on."""
        body = await self._call(
            fetcher,
            "search/",
            {"image_url": image_url, "offset": "0", "limit": str(RESULTS_PER_SEARCH)},
        )
        found = list(_backlinks(body.get("results")))
        logger.debug("tineye: %d backlinks", len(found))
        return found

    async def searches_left(self, fetcher: Fetcher) -> int | None:
        """The searches left over every bundle that has not expired."""
        body = await self._call(fetcher, "remaining_searches/", {})
        results = body.get("results")
        left = results.get("total_remaining_searches") if isinstance(results, dict) else None
        return max(0, left) if isinstance(left, int) and not isinstance(left, bool) else None

    async def _call(self, fetcher: Fetcher, method: str, params: dict[str, str]) -> dict[str, Any]:
        response = await fetcher.call_api(
            "GET",
            self._endpoint + method,
            params=params,
            headers={"x-api-key": self._api_key},
        )
        return self._checked(response)

    def _checked(self, response: ApiResponse) -> dict[str, Any]:
        url = response.url
        try:
            body: object = response.json()
        except FetchError:
            if response.status < 400:
                raise
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        status = code if isinstance(code, int) and code >= 400 else response.status
        messages = error_text(body, "messages")
        said = f": {messages}" if messages else ""
        if status in (401, 403):
            raise ApiKeyError(
                url,
                f"TinEye refused the API key (code {status}{said}); set {self._key_setting} "
                "to the key of your TinEye API account",
            )
        if status == 402:
            raise QuotaExhaustedError(url, f"TinEye has no searches left{said}")
        if status == 429:
            seconds = retry_after_seconds(response.headers, now=datetime.now(UTC))
            raise RateLimitedError(url, f"TinEye: too many requests{said}", retry_after=seconds)
        unusable = messages is not None and any(
            words in messages.lower() for words in _IMAGE_UNUSABLE
        )
        if status == 400 or (status == 500 and unusable):
            raise SearchRefusedError(url, f"TinEye could not search this image{said}")
        if status >= 400 or response.status != 200:
            raise FetchError(url, f"TinEye answered code {status}{said}")
        if not isinstance(body, dict):
            raise FetchError(url, "TinEye answered with JSON that is not an object")
        return body


def _backlinks(results: object) -> Iterator[Found]:
    matches = results.get("matches") if isinstance(results, dict) else None
    if not isinstance(matches, list):
        return
    for match in matches:
        backlinks = match.get("backlinks") if isinstance(match, dict) else None
        if not isinstance(backlinks, list):
            continue
        for backlink in backlinks:
            if not isinstance(backlink, dict):
                continue
            page_url = public_url(backlink.get("backlink"))
            image_url = public_url(backlink.get("url") or backlink.get("image_url"))
            if page_url is not None or image_url is not None:
                yield Found(page_url=page_url, image_url=image_url)
