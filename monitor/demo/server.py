"""Loopback HTTP servers for the demo and the tests: the sample web, and an alert receiver."""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitor.demo.site import Route


@dataclass
class ServedWeb:
    """Routes served on 127.0.0.1; `requests` logs every path asked for, in order."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    image_delay: float = 0.0  # seconds before each image response, to make a sweep take a while
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _web_handler(web: ServedWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            web.requests.append(path)
            route = web.routes.get(path)
            if route is None:
                self._send(404, b"not found", "text/plain")
                return
            if web.image_delay and route.content_type.startswith("image/"):
                time.sleep(web.image_delay)
            etag = f'"{hashlib.sha256(route.body).hexdigest()[:16]}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self._send(200, route.body, route.content_type, etag=etag)

        def _send(
            self, status: int, body: bytes, content_type: str, etag: str | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if etag:
                self.send_header("ETag", etag)
            self.end_headers()
            # A client that gave up (a cancelled sweep, a killed daemon) is not the server's error.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@dataclass
class AlertReceiver:
    """Collects what Apprise's json:// delivers, like a phone would receive it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    @property
    def apprise_url(self) -> str:
        return f"json://127.0.0.1:{self.port}/alerts"


def _receiver_handler(receiver: AlertReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                receiver.messages.append(json.loads(self.rfile.read(length)))
            except ValueError:
                receiver.messages.append({"unparsable": True})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _NoDelayServer(ThreadingHTTPServer):
    """Sends small responses at once instead of waiting ~40 ms for Nagle's algorithm."""

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


@contextmanager
def _serving(
    handler: type[BaseHTTPRequestHandler], on_port: Callable[[int], None]
) -> Iterator[None]:
    server = _NoDelayServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    on_port(server.server_address[1])
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="loopback-http",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def serve_web(web: ServedWeb) -> Iterator[ServedWeb]:
    def set_port(port: int) -> None:
        web.port = port

    with _serving(_web_handler(web), set_port):
        yield web


@contextmanager
def serve_alert_receiver() -> Iterator[AlertReceiver]:
    receiver = AlertReceiver()

    def set_port(port: int) -> None:
        receiver.port = port

    with _serving(_receiver_handler(receiver), set_port):
        yield receiver
