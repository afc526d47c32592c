"""A real, hostile-on-demand HTTP server on 127.0.0.1 for the fetcher's tests.

`TestWeb` runs `http.server.ThreadingHTTPServer` in a daemon thread. A route is a function
`(request, web) -> None` that writes the whole response (status line, headers, body) itself, so
a route can misbehave in ways a framework would not allow: lie about Content-Length, trickle,
never answer, send garbage. The server counts connections, logs every request (path, headers,
arrival time) and how many body bytes the streaming routes managed to send.

`RoutedBackend` is a pretend internet for the network-backend tests: it sends connections for
a few public-looking addresses to the loopback server, so the fetcher can run with
`allow_private_addresses = false` against a real server.
"""

from __future__ import annotations

import gzip
import io
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import pytest
from PIL import Image, ImageDraw

from monitor.fetch.settings import FetchSettings

Route = Callable[[BaseHTTPRequestHandler, "TestWeb"], None]

PAGE_HTML = b"<!doctype html><title>hello</title><p>A plain page.</p>"
FEED_XML = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>one</title><link>http://example.org/1</link></item></channel></rss>"""
CACHED_ETAG = '"v1"'
CACHED_LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
HUGE_BODY_LIMIT = 256 * 1024 * 1024
GZIP_BOMB_DECODED = 64 * 1024 * 1024
TRICKLE_INTERVAL = 0.5
PUBLIC_ADDRESS = "93.184.215.14"  # any public address; RoutedBackend sends it to the test web


def make_settings(**overrides: Any) -> FetchSettings:
    """Settings for loopback tests: private addresses allowed, no politeness delay."""
    values: dict[str, Any] = {
        "allow_private_addresses": True,
        "per_host_delay": 0.0,
        "per_host_concurrency": 8,
        "total_timeout": 5.0,
        "connect_timeout": 2.0,
        "max_page_bytes": 1_000_000,
        "max_image_bytes": 1_000_000,
    }
    values.update(overrides)
    return FetchSettings(**values)


@dataclass(frozen=True)
class ServedRequest:
    path: str
    headers: dict[str, str]
    arrived: float  # time.monotonic()


@dataclass
class TestWeb:
    """A loopback web server; `routes` may be changed while it runs."""

    __test__ = False  # a fixture, not a test class

    routes: dict[str, Route] = field(default_factory=dict)
    port: int = 0
    requests: list[ServedRequest] = field(default_factory=list)
    connections: int = 0
    sent_bytes: dict[str, int] = field(default_factory=dict)
    finished: dict[str, threading.Event] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def finished_event(self, path: str) -> threading.Event:
        with self._lock:
            return self.finished.setdefault(path, threading.Event())

    def count_sent(self, path: str, size: int) -> None:
        with self._lock:
            self.sent_bytes[path] = self.sent_bytes.get(path, 0) + size


def _handler_for(web: TestWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            web.requests.append(
                ServedRequest(
                    path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic()
                )
            )
            route = web.routes.get(path)
            try:
                if route is None:
                    respond(self, 404, b"not found")
                else:
                    route(self, web)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up, as it should when it refuses a response
            finally:
                web.finished_event(path).set()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, web: TestWeb) -> None:
        super().__init__(("127.0.0.1", 0), _handler_for(web))
        self.web = web

    def get_request(self) -> tuple[socket.socket, object]:
        connection, address = super().get_request()
        # Headers and body go out as separate small writes; without this, Nagle's algorithm
        # and the client's delayed ACK add 40 ms to every response.
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.web.connections += 1
        return connection, address


@contextmanager
def serve(web: TestWeb, *, tls: ssl.SSLContext | None = None) -> Iterator[TestWeb]:
    """Serve `web` on 127.0.0.1 (a free port) until the block ends; HTTPS with `tls`."""
    server = _Server(web)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    web.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    try:
        yield web
    finally:
        web.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def respond(
    request: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    *,
    content_type: str = "text/plain",
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(body)


def redirect(status: int, location: str) -> Route:
    def route(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
        respond(request, status, headers=[("Location", location)])

    return route


def status(code: int) -> Route:
    def route(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
        respond(request, code, f"status {code}".encode())

    return route


def _page(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    respond(
        request,
        200,
        PAGE_HTML,
        content_type="text/html; charset=utf-8",
        headers=[("ETag", '"page-1"'), ("Last-Modified", CACHED_LAST_MODIFIED), ("X-Secret", "no")],
    )


@cache
def png_bytes() -> bytes:
    image = Image.new("RGB", (64, 48), "white")
    ImageDraw.Draw(image).ellipse((8, 8, 40, 40), fill="teal")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _image(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    respond(request, 200, png_bytes(), content_type="image/png")


def _feed(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    respond(request, 200, FEED_XML, content_type="application/rss+xml")


def _cached(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    validators = [("ETag", CACHED_ETAG), ("Last-Modified", CACHED_LAST_MODIFIED)]
    if (
        request.headers.get("If-None-Match") == CACHED_ETAG
        or request.headers.get("If-Modified-Since") == CACHED_LAST_MODIFIED
    ):
        request.send_response(304)
        for name, value in validators:
            request.send_header(name, value)
        request.end_headers()
        return
    respond(request, 200, PAGE_HTML, content_type="text/html", headers=validators)


def _not_modified_always(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    request.send_response(304)
    request.end_headers()


def _chain(step: int) -> Route:
    """/chain/3 -> /chain/2 (absolute URL) -> /chain/1 (relative) -> /chain/0 -> /page."""

    def route(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
        if step == 0:
            location = "../page"
        elif step % 2:
            location = web.url(f"/chain/{step - 1}")
        else:
            location = f"{step - 1}"
        respond(request, 302, headers=[("Location", location)])

    return route


def _huge(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    """Streams zeros with no Content-Length until the client hangs up (or 256 MB)."""
    request.send_response(200)
    request.send_header("Content-Type", "text/html")
    request.send_header("Connection", "close")
    request.end_headers()
    chunk = bytes(64 * 1024)
    sent = 0
    while sent < HUGE_BODY_LIMIT and not web.stopping.is_set():
        request.wfile.write(chunk)
        sent += len(chunk)
        web.count_sent("/huge", len(chunk))


def _raw(data: bytes) -> Route:
    """Writes `data` as the whole response, status line and all, then closes."""

    def route(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
        request.wfile.write(data)
        request.wfile.flush()
        request.close_connection = True

    return route


def _claims_over_cap(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    request.send_response(200)
    request.send_header("Content-Length", str(10**12))
    request.end_headers()
    request.wfile.write(b"x" * 1000)
    request.close_connection = True


@cache
def gzip_bomb() -> bytes:
    """64 MiB of zeros, gzipped to about 64 KiB."""
    return gzip.compress(bytes(GZIP_BOMB_DECODED), compresslevel=9)


def _encoded(body: bytes, encoding: str) -> Route:
    def route(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
        respond(
            request, 200, body, content_type="text/html", headers=[("Content-Encoding", encoding)]
        )

    return route


def _trickle(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    """Promises 1000 bytes and sends one every half second."""
    request.send_response(200)
    request.send_header("Content-Length", "1000")
    request.end_headers()
    for _ in range(1000):
        request.wfile.write(b"x")
        request.wfile.flush()
        if web.stopping.wait(TRICKLE_INTERVAL):
            return


def _hang(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    """Reads the request, never answers."""
    web.stopping.wait(30)


def _endless_headers(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    request.wfile.write(b"HTTP/1.1 200 OK\r\nX-Filler: ")
    for _ in range(1000):  # 16 MB of one header line, unless the client gives up first
        request.wfile.write(b"a" * 16384)
        if web.stopping.is_set():
            return


def _reset(request: BaseHTTPRequestHandler, web: TestWeb) -> None:
    """Drops the connection with a TCP reset instead of answering."""
    request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.connection.close()
    request.close_connection = True


def default_routes() -> dict[str, Route]:
    deflated = zlib.compress(PAGE_HTML)
    return {
        "/page": _page,
        "/image.png": _image,
        "/feed.xml": _feed,
        "/cached": _cached,
        "/always-304": _not_modified_always,
        **{f"/chain/{step}": _chain(step) for step in range(4)},
        "/redirect/303": redirect(303, "/page"),
        "/redirect/307": redirect(307, "/page#fragment"),
        "/redirect/loop-a": redirect(302, "/redirect/loop-b"),
        "/redirect/loop-b": redirect(301, "/redirect/loop-a"),
        "/redirect/self": redirect(308, "/redirect/self"),
        "/redirect/file": redirect(302, "file:///etc/passwd"),
        "/redirect/metadata": redirect(302, "http://169.254.169.254/latest/meta-data/"),
        "/redirect/loopback-spelled-oddly": redirect(302, "http://0x7f.1/page"),
        "/redirect/no-location": status(302),
        "/status/404": status(404),
        "/status/410": status(410),
        "/status/500": status(500),
        "/huge": _huge,
        "/lying/short": _raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + b"0123456789" + b"y" * 1000
        ),
        "/lying/long": _raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nonly this"),
        "/lying/over-cap": _claims_over_cap,
        "/gzip-bomb": _encoded(gzip_bomb(), "gzip"),
        "/gzip-page": _encoded(gzip.compress(PAGE_HTML), "gzip"),
        "/deflate-page": _encoded(deflated, "deflate"),
        "/raw-deflate-page": _encoded(deflated[2:-4], "deflate"),
        "/corrupt-gzip": _encoded(b"\x1f\x8b\x08\x00garbage-not-gzip", "gzip"),
        "/double-gzip": _encoded(gzip.compress(gzip.compress(PAGE_HTML)), "gzip, gzip"),
        "/brotli": _encoded(b"\x0b\x02\x80hello\x03", "br"),
        "/trickle": _trickle,
        "/hang": _hang,
        "/endless-headers": _endless_headers,
        "/reset": _reset,
        "/garbage": _raw(b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
    }


@pytest.fixture
def test_web() -> Iterator[TestWeb]:
    with serve(TestWeb(routes=default_routes())) as web:
        yield web


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel does) but never reads or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RoutedBackend(httpcore.AsyncNetworkBackend):
    """A pretend internet: connections to `routes` addresses go to loopback ports instead.

    Records every (host, port) it was asked to connect to; refuses any other address.
    """

    def __init__(self, routes: dict[str, int]) -> None:
        self.routes = routes
        self.connected: list[tuple[str, int]] = []
        self._loopback = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        if host not in self.routes:
            raise httpcore.ConnectError(f"RoutedBackend has no route to {host}")
        return await self._loopback.connect_tcp("127.0.0.1", self.routes[host], timeout=timeout)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("no unix sockets on the pretend internet")

    async def sleep(self, seconds: float) -> None:
        await self._loopback.sleep(seconds)
