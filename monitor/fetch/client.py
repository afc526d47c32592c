"""The one HTTP client: polite, SSRF-safe, size- and time-capped GETs.

Every source and the pipeline fetch through one `Fetcher`. It follows redirects by hand so that
each hop's URL and address is checked (`monitor.fetch.addresses`; the default transport checks
the resolved address again at connect time, see `monitor.fetch.transport`), streams bodies and
stops the moment they pass the byte cap (counting decoded bytes, so a gzip bomb stays small),
and bounds the time of a whole exchange. Failures raise `monitor.errors.FetchError` subclasses.

`call_api` is the same fetch for web APIs: it returns every HTTP status with its body (APIs
explain a bad key, a rate limit or a spent quota there) and keeps query strings and headers,
where API keys travel, out of logs and error messages.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

import httpx

from monitor.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HttpStatusError,
    RedirectError,
    ResponseTooLargeError,
    UnsupportedUrlError,
)
from monitor.fetch.addresses import check_url
from monitor.fetch.politeness import HostGate
from monitor.fetch.settings import FetchSettings
from monitor.fetch.transport import GuardedTransport, describe_network_failure

logger = logging.getLogger(__name__)

EVIDENCE_HEADERS = ("date", "last-modified", "server", "content-type", "content-length", "etag")
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT_PAGE = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_ACCEPT_IMAGE = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"
_ACCEPT_VIDEO = "video/webm,video/mp4;q=0.9,video/*;q=0.8,*/*;q=0.5"
_ACCEPT_FEED = (
    "application/rss+xml,application/atom+xml,application/feed+json,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.8"
)


@dataclass(frozen=True)
class FetchResult:
    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)
    fetched_at: datetime
    not_modified: bool

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


@dataclass(frozen=True)
class ApiResponse:
    """A web API's answer, whatever its status: APIs put their errors in the body.

    `url` is the URL that answered, without its query (API keys travel there); `headers` are
    all response headers with lower-case names.
    """

    url: str
    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)
    fetched_at: datetime

    def json(self) -> Any:
        """The body as JSON; FetchError when it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError) as error:
            reason = str(error) if isinstance(error, ValueError) else "nested too deeply"
            raise FetchError(self.url, f"malformed JSON from the API: {reason}") from None


@dataclass(frozen=True)
class _ApiCall:
    """The parts of a web API request that a page or image fetch does not have."""

    method: Literal["GET", "POST"]
    params: dict[str, str]
    headers: dict[str, str]
    data: dict[str, str] | None
    authorization: str | None


@dataclass(frozen=True)
class _Want:
    """What one fetch asks for: Accept header, byte cap (and its setting's name), validators,
    and for an API call its method, parameters and credentials."""

    accept: str
    max_bytes: int
    limit_setting: str
    etag: str | None = None
    last_modified: str | None = None
    api: _ApiCall | None = None

    @property
    def conditional(self) -> bool:
        return self.etag is not None or self.last_modified is not None

    @property
    def method(self) -> str:
        return self.api.method if self.api is not None else "GET"

    @property
    def follows_redirects(self) -> bool:
        return self.method == "GET"

    def shown(self, url: str) -> str:
        """`url` as logs and errors may show it: an API call's query may hold its key."""
        return url if self.api is None else without_query(url)

    def headers(self, *, to_first_origin: bool = True) -> dict[str, str]:
        """Request headers; an API call's own headers and credentials go only to the origin
        of its first URL, never to another host a redirect points to."""
        headers = {"accept": self.accept}
        if self.api is not None and to_first_origin:
            headers.update({name.lower(): value for name, value in self.api.headers.items()})
            if self.api.authorization is not None:
                headers["authorization"] = self.api.authorization
        if self.etag is not None:
            headers["if-none-match"] = self.etag
        if self.last_modified is not None:
            headers["if-modified-since"] = self.last_modified
        return headers


class Fetcher:
    """Fetches pages, images and feeds. Use as `async with Fetcher(settings) as fetcher:`."""

    def __init__(
        self, settings: FetchSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._gate = HostGate(
            concurrency=settings.concurrency,
            per_host_concurrency=settings.per_host_concurrency,
            per_host_delay=settings.per_host_delay,
        )
        if transport is None:
            transport = GuardedTransport(
                allow_private=settings.allow_private_addresses,
                limits=httpx.Limits(
                    max_connections=settings.concurrency,
                    max_keepalive_connections=settings.concurrency,
                ),
            )
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(settings.total_timeout, connect=settings.connect_timeout),
            follow_redirects=False,
            trust_env=False,
            headers={"user-agent": settings.user_agent, "accept-encoding": "gzip, deflate"},
        )

    @property
    def settings(self) -> FetchSettings:
        return self._settings

    async def fetch_page(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET an HTML page; with `etag`/`last_modified` a 304 gives `not_modified=True`."""
        want = _Want(
            _ACCEPT_PAGE,
            self._settings.max_page_bytes,
            "fetch.max_page_bytes",
            etag=_sendable(etag),
            last_modified=_sendable(last_modified),
        )
        return await self._fetch(url, want)

    async def fetch_image(self, url: str) -> FetchResult:
        want = _Want(_ACCEPT_IMAGE, self._settings.max_image_bytes, "fetch.max_image_bytes")
        return await self._fetch(url, want)

    async def fetch_video(self, url: str) -> FetchResult:
        want = _Want(_ACCEPT_VIDEO, self._settings.max_video_bytes, "fetch.max_video_bytes")
        return await self._fetch(url, want)

    async def fetch_feed(self, url: str) -> FetchResult:
        want = _Want(_ACCEPT_FEED, self._settings.max_page_bytes, "fetch.max_page_bytes")
        return await self._fetch(url, want)

    async def call_api(
        self,
        method: Literal["GET", "POST"],
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> ApiResponse:
        """Call a web API with the safety of every fetch (address checks at every hop, byte
        cap `fetch.max_page_bytes`, total timeout, politeness).

        Any HTTP status comes back as an `ApiResponse` with its body; only transport failures
        raise `FetchError` subclasses. GET follows redirects, POST does not. `params` go in
        the query string, `data` is sent form-encoded, `auth` as HTTP Basic.
        """
        if method not in ("GET", "POST"):
            raise ValueError(f"call_api sends GET or POST, not {method!r}")
        call = _ApiCall(
            method=method,
            params=dict(params or {}),
            headers=dict(headers or {}),
            data=dict(data) if data is not None else None,
            authorization=_basic_authorization(auth) if auth is not None else None,
        )
        want = _Want(
            "application/json", self._settings.max_page_bytes, "fetch.max_page_bytes", api=call
        )
        result = await self._fetch(url, want)
        return ApiResponse(
            url=without_query(result.final_url),
            status=result.status,
            headers=result.headers,
            body=result.body,
            fetched_at=result.fetched_at,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _fetch(self, url: str, want: _Want) -> FetchResult:
        started = time.monotonic()
        verb = "fetch" if want.api is None else f"api {want.method}"
        try:
            result = await self._follow_redirects(url, want)
        except FetchError as error:
            logger.debug(
                "%s %s failed after %.2fs: %s: %s",
                verb,
                want.shown(url),
                time.monotonic() - started,
                type(error).__name__,
                error.reason,
            )
            raise
        logger.debug(
            "%s %s -> %s: %d, %d bytes in %.2fs",
            verb,
            want.shown(url),
            want.shown(result.final_url),
            result.status,
            len(result.body),
            time.monotonic() - started,
        )
        return result

    async def _follow_redirects(self, url: str, want: _Want) -> FetchResult:
        label = want.shown(url)  # the URL as errors name it
        try:
            target = check_url(url, allow_private=self._settings.allow_private_addresses)
        except FetchError as error:
            if want.api is None:
                raise
            raise type(error)(label, error.reason) from None
        target = target.copy_with(fragment=None)
        if want.api is not None and want.api.params:
            target = target.copy_merge_params(want.api.params)
        first_origin = _origin(target)
        visited = {str(target)}
        seconds_left = self._settings.total_timeout
        for hop in range(self._settings.max_redirects + 1):
            # Time waiting for a polite turn is not charged to the exchange's deadline.
            async with self._gate.turn(target.host):
                started = time.monotonic()
                try:
                    async with asyncio.timeout(seconds_left):
                        outcome = await self._exchange(
                            label, target, want, to_first_origin=_origin(target) == first_origin
                        )
                except TimeoutError:
                    raise FetchTimeoutError(
                        label,
                        f"no complete response within {self._settings.total_timeout:g}s "
                        "(fetch.total_timeout)",
                    ) from None
                seconds_left -= time.monotonic() - started
            if isinstance(outcome, FetchResult):
                return outcome
            target = self._check_redirect(label, outcome, hop=hop, want=want)
            if str(target) in visited:
                raise RedirectError(
                    label, f"redirect loop: {want.shown(str(target))} was already visited"
                )
            visited.add(str(target))
        raise AssertionError("unreachable: the last hop returns or raises")

    def _check_redirect(self, url: str, location: httpx.URL, *, hop: int, want: _Want) -> httpx.URL:
        if hop >= self._settings.max_redirects:
            raise RedirectError(
                url, f"more than {self._settings.max_redirects} redirects (fetch.max_redirects)"
            )
        try:
            target = check_url(str(location), allow_private=self._settings.allow_private_addresses)
        except (UnsupportedUrlError, BlockedAddressError) as error:
            shown = want.shown(str(location))
            reason = (
                error.reason if want.api is None else error.reason.replace(str(location), shown)
            )
            raise type(error)(url, f"redirect to {shown}: {reason}") from None
        return target.copy_with(fragment=None)

    async def _exchange(
        self, url: str, target: httpx.URL, want: _Want, *, to_first_origin: bool = True
    ) -> FetchResult | httpx.URL:
        """One request: a result, or the (unchecked) URL a redirect points to."""
        request = self._client.build_request(
            want.method,
            target,
            headers=want.headers(to_first_origin=to_first_origin),
            data=want.api.data if want.api is not None else None,
        )
        try:
            try:
                response = await self._client.send(request, stream=True)
            except (httpx.InvalidURL, ValueError) as error:
                # httpx parses a redirect's Location even when it does not follow it.
                raise RedirectError(url, f"redirect to an unusable URL ({error})") from None
            try:
                return await self._read_response(url, target, response, want)
            finally:
                await response.aclose()
        except httpx.HTTPError as error:
            raise self._as_fetch_error(url, error) from error
        except BlockedAddressError as error:
            raise BlockedAddressError(url, error.reason) from None

    async def _read_response(
        self, url: str, target: httpx.URL, response: httpx.Response, want: _Want
    ) -> FetchResult | httpx.URL:
        status = response.status_code
        fetched_at = datetime.now(UTC)
        if status in _REDIRECT_STATUSES and want.follows_redirects:
            return _redirect_target(url, target, response)
        if want.api is not None:
            return FetchResult(
                url=url,
                final_url=str(target),
                status=status,
                headers=dict(response.headers.items()),
                body=await _read_capped(url, response, want),
                fetched_at=fetched_at,
                not_modified=False,
            )
        not_modified = status == 304 and want.conditional
        if not (200 <= status < 300 or not_modified):
            raise HttpStatusError(url, status)
        body = b"" if not_modified else await _read_capped(url, response, want)
        return FetchResult(
            url=url,
            final_url=str(target),
            status=status,
            headers=_evidence_headers(response.headers),
            body=body,
            fetched_at=fetched_at,
            not_modified=not_modified,
        )

    def _as_fetch_error(self, url: str, error: httpx.HTTPError) -> FetchError:
        if isinstance(error, httpx.ConnectTimeout):
            return FetchTimeoutError(
                url,
                f"could not connect within {self._settings.connect_timeout:g}s "
                "(fetch.connect_timeout)",
            )
        if isinstance(error, httpx.TimeoutException):
            return FetchTimeoutError(url, f"the server stopped answering ({error})")
        if isinstance(error, httpx.UnsupportedProtocol):
            return UnsupportedUrlError(url, str(error))
        if isinstance(error, httpx.RemoteProtocolError):
            if str(error).startswith("Invalid URL in location header"):
                return RedirectError(url, f"redirect to an unusable URL ({error})")
            return FetchError(url, f"the server sent an invalid or incomplete response ({error})")
        if isinstance(error, httpx.ReadError):
            fallback = "the connection broke while reading the response"
        elif isinstance(error, httpx.WriteError):
            fallback = "the connection broke while sending the request"
        else:
            fallback = "network error"
        return FetchError(url, describe_network_failure(error, fallback=fallback))


def without_query(url: str) -> str:
    """`url` without its query and fragment: what logs may show of an API URL."""
    return url.split("#", 1)[0].split("?", 1)[0]


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


def _basic_authorization(auth: tuple[str, str]) -> str:
    user, password = auth
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _sendable(validator: str | None) -> str | None:
    """A stored ETag or Last-Modified as a header value, or None if a server sent a bad one."""
    if not validator or not validator.isascii() or not validator.isprintable():
        return None
    return validator


def _evidence_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name] for name in EVIDENCE_HEADERS if name in headers}


def _redirect_target(url: str, current: httpx.URL, response: httpx.Response) -> httpx.URL:
    location = response.headers.get("location", "").strip()
    if not location:
        raise RedirectError(url, f"HTTP {response.status_code} redirect without a Location header")
    try:
        return current.join(location)
    except (httpx.InvalidURL, ValueError):
        raise RedirectError(url, f"redirect to an unusable URL {location!r}") from None


async def _read_capped(url: str, response: httpx.Response, want: _Want) -> bytes:
    """The decoded body, refused the moment it passes `want.max_bytes`."""
    too_large = f"the body is over the limit of {want.max_bytes} bytes ({want.limit_setting})"
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > want.max_bytes:
        raise ResponseTooLargeError(url, f"Content-Length {declared}: {too_large}")
    if response.is_stream_consumed:
        # A body handed whole to httpx.Response (httpx.MockTransport in tests) is read and
        # decoded already.
        if len(response.content) > want.max_bytes:
            raise ResponseTooLargeError(url, too_large)
        return response.content
    decoder = _BodyDecoder(url, response.headers.get("content-encoding", ""))
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += decoder.decode(chunk, room=want.max_bytes - len(body))
        if len(body) > want.max_bytes:
            raise ResponseTooLargeError(url, too_large)
    return bytes(body)


class _BodyDecoder:
    """Undoes a gzip or deflate Content-Encoding chunk by chunk, never inflating past a limit.

    httpx's own decoders inflate each chunk completely, and with stacked encodings
    ("gzip, gzip") a few kilobytes can inflate to gigabytes before any cap is checked; hence
    this decoder reads raw bytes, allows one layer, and asks zlib for at most `room + 1` bytes.
    """

    def __init__(self, url: str, content_encoding: str) -> None:
        self._url = url
        codings = [
            coding
            for coding in (part.strip().lower() for part in content_encoding.split(","))
            if coding not in ("", "identity")
        ]
        self._raw_deflate_fallback = codings == ["deflate"]
        self._inflater: zlib._Decompress | None = None
        if codings in (["gzip"], ["x-gzip"]):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif codings == ["deflate"]:
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS)
        elif codings:
            raise FetchError(
                url, f"unsupported Content-Encoding {content_encoding!r} (only gzip or deflate)"
            )

    def decode(self, chunk: bytes, *, room: int) -> bytes:
        """Decoded bytes of `chunk`; more than `room` of them means the body is too large."""
        if self._inflater is None:
            return chunk
        try:
            decoded = self._inflater.decompress(chunk, room + 1)
        except zlib.error:
            if not self._raw_deflate_fallback:
                raise FetchError(self._url, "the compressed body is corrupt") from None
        else:
            self._raw_deflate_fallback = False
            return decoded
        # Some servers send raw deflate data without the zlib header that RFC 9110 asks for.
        self._raw_deflate_fallback = False
        self._inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        return self.decode(chunk, room=room)
