"""A small SerpApi client: reverse image and keyword searches, and the searches left.

Shaped on SerpApi's documentation: `GET {endpoint}/search.json?engine=...&api_key=...` with
each engine's own parameters, and `GET {endpoint}/account.json` (free) for the quota. Errors
come as `{"error": "..."}` with the HTTP status saying which kind: 401 a bad key, 429 the
hourly throughput limit or "Your account has run out of searches.", 5xx SerpApi's side. A
search that found nothing is a success whose `error` says so ("Google hasn't returned any
results for this query.").
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, get_args

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

SERPAPI_ENDPOINT = "https://serpapi.com"
ReverseEngine = Literal[
    "google_lens", "google_reverse_image", "bing_reverse_image", "yandex_images"
]
KeywordEngine = Literal["google", "google_images"]
REVERSE_ENGINES: tuple[str, ...] = get_args(ReverseEngine)

# The parameter that carries the image URL, per engine.
_SEED_PARAMETER: dict[str, str] = {
    "google_lens": "url",
    "google_reverse_image": "image_url",
    "bing_reverse_image": "image_url",
    "yandex_images": "url",
}


@dataclass(frozen=True)
class _ResultList:
    """Where one engine lists results: the list's key, the field with the page the result is
    on, and the fields that may hold the full-size image (a string, or an object with
    `link`). Thumbnails are the engine's own copies and are never used."""

    key: str
    page_field: str
    image_fields: tuple[str, ...] = ()


_RESULT_LISTS: dict[str, tuple[_ResultList, ...]] = {
    "google_lens": (
        _ResultList("visual_matches", "link", ("image",)),
        _ResultList("exact_matches", "link", ("image",)),
    ),
    "google_reverse_image": (
        _ResultList("image_results", "link", ("original",)),
        _ResultList("inline_images", "source", ("original",)),
    ),
    "bing_reverse_image": (
        _ResultList("pages_including", "link", ("original", "image")),
        _ResultList("related_content", "link", ("original",)),
    ),
    "yandex_images": (_ResultList("images_results", "link", ("original_image", "original")),),
    "google_images": (_ResultList("images_results", "link", ("original",)),),
    "google": (_ResultList("organic_results", "link"),),
}
_NO_RESULTS = ("hasn't returned any results", "no results")


class SerpApiClient:
    """One SerpApi account. `key_setting` names the config key holding the API key, so that
    a refused key is reported with the setting to fix."""

    def __init__(self, *, endpoint: str, api_key: str, key_setting: str) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._api_key = api_key
        self._key_setting = key_setting

    async def reverse_search(
        self, fetcher: Fetcher, *, engine: ReverseEngine, image_url: str
    ) -> list[Found]:
        """Pages and images that `engine` finds for the public image at `image_url`."""
        return await self._search(fetcher, engine, {_SEED_PARAMETER[engine]: image_url})

    async def keyword_search(
        self, fetcher: Fetcher, *, engine: KeywordEngine, query: str
    ) -> list[Found]:
        """Result pages (`google`) or images with their pages (`google_images`) for `query`."""
        return await self._search(fetcher, engine, {"q": query})

    async def searches_left(self, fetcher: Fetcher) -> int | None:
        """The searches left this month (plan and extra credits), from the free Account API."""
        response = await fetcher.call_api(
            "GET", f"{self._endpoint}/account.json", params={"api_key": self._api_key}
        )
        body = self._checked(response)
        for key in ("total_searches_left", "plan_searches_left"):
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(0, value)
        return None

    async def _search(self, fetcher: Fetcher, engine: str, params: dict[str, str]) -> list[Found]:
        response = await fetcher.call_api(
            "GET",
            f"{self._endpoint}/search.json",
            params={"engine": engine, **params, "api_key": self._api_key},
        )
        body = self._checked(response)
        found = list(_results(body, engine))
        logger.debug("serpapi %s: %d results", engine, len(found))
        return found

    def _checked(self, response: ApiResponse) -> dict[str, Any]:
        """The JSON body of a successful answer; the matching error otherwise."""
        url, status = response.url, response.status
        try:
            body: object = response.json()
        except FetchError:
            if status < 400:
                raise
            body = None
        error = error_text(body, "error")
        said = f": {error}" if error else ""
        if status in (401, 403):
            raise ApiKeyError(
                url,
                f"SerpApi refused the API key (HTTP {status}{said}); set {self._key_setting} "
                "to the key shown at https://serpapi.com/manage-api-key",
            )
        if status == 429:
            if error is not None and "run out of searches" in error.lower():
                raise QuotaExhaustedError(url, f"SerpApi{said}")
            seconds = retry_after_seconds(response.headers, now=datetime.now(UTC))
            raise RateLimitedError(url, f"SerpApi rate limit (HTTP 429{said})", retry_after=seconds)
        if status >= 500:
            raise FetchError(url, f"SerpApi answered HTTP {status}{said}")
        if status != 200:
            if 400 <= status < 500 and error is not None:
                raise SearchRefusedError(url, f"SerpApi refused the search (HTTP {status}{said})")
            raise FetchError(url, f"SerpApi answered HTTP {status}{said}")
        if not isinstance(body, dict):
            raise FetchError(url, "SerpApi answered with JSON that is not an object")
        if error is not None and not _no_results(body, error):
            raise SearchRefusedError(url, f"SerpApi could not run the search{said}")
        return body


def _no_results(body: dict[str, Any], error: str) -> bool:
    metadata = body.get("search_metadata")
    succeeded = isinstance(metadata, dict) and metadata.get("status") == "Success"
    return succeeded or any(phrase in error.lower() for phrase in _NO_RESULTS)


def _results(body: dict[str, Any], engine: str) -> Iterator[Found]:
    for result_list in _RESULT_LISTS[engine]:
        items = body.get(result_list.key)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            page_url = public_url(item.get(result_list.page_field))
            image_url = _image_url(item, result_list.image_fields)
            if page_url is not None or image_url is not None:
                yield Found(page_url=page_url, image_url=image_url)


def _image_url(item: dict[str, Any], fields: tuple[str, ...]) -> str | None:
    for name in fields:
        value = item.get(name)
        if isinstance(value, dict):
            value = value.get("link")
        url = public_url(value)
        if url is not None:
            return url
    return None
