"""Small static web sites on loopback addresses of their own (127.0.0.2, 127.0.0.3, ...).

Linux routes all of 127.0.0.0/8 to the loopback interface, so each site is another host to
the monitor: another origin, another takedown route, another sighting.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Site:
    host: str
    port: int = 0
    pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (type, body)
    requests: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def add_page(self, path: str, html: str) -> str:
        self.pages[path] = ("text/html; charset=utf-8", html.encode())
        return self.url(path)

    def add_image(self, path: str, jpeg: bytes) -> str:
        self.pages[path] = ("image/jpeg", jpeg)
        return self.url(path)


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            site.requests.append(path)
            content_type, body = site.pages.get(path, ("text/plain", b"not found"))
            self.send_response(200 if path in site.pages else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_site(host: str) -> Iterator[Site]:
    site = Site(host=host)
    server = ThreadingHTTPServer((host, 0), _handler(site))
    server.daemon_threads = True
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
