"""Bad input fails alone: each hostile candidate is recorded with its reason, the sweep goes on."""

from __future__ import annotations

import contextlib
import hashlib
import io
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from monitor.config import Settings
from monitor.demo.pictures import ALTERATIONS, draw_picture, encode
from monitor.fingerprint import fingerprint_enrolled
from monitor.service import running_monitor
from monitor.store import open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.crawl import url_errors
from monitor.store.sightings import list_sightings


def _bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A valid PNG header that promises 3.6 billion pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


GOOD = encode(ALTERATIONS["reencoded"](draw_picture(7)))
ORIGINAL = encode(draw_picture(7), quality=92)
HOSTILE_IMAGES = {
    "/broken.jpg": "ImageDecodeError-ish",
    "/truncated.jpg": "",
    "/html-as-image.jpg": "",
    "/huge.jpg": "",
    "/missing.jpg": "404",
    "/gone.jpg": "410",
    "/loop.jpg": "redirect",
    "/to-metadata.jpg": "blocked",
    "/stall.jpg": "timeout",
    "/bomb.png": "pixels",
}


class HostileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        path = self.path
        if path == "/page.html":
            images = "".join(f'<img src="{p}">' for p in ["/good.jpg", *HOSTILE_IMAGES])
            body = f'<html><body>{images}<a href="/endless.html">more</a></body></html>'.encode()
            return self._send(200, body, "text/html")
        if path == "/good.jpg":
            return self._send(200, GOOD, "image/jpeg")
        if path == "/broken.jpg":
            return self._send(200, b"\xff\xd8\xff\xe0" + bytes(range(256)) * 20, "image/jpeg")
        if path == "/truncated.jpg":
            return self._send(200, GOOD[: len(GOOD) // 3], "image/jpeg")
        if path == "/html-as-image.jpg":
            return self._send(200, b"<html>login required</html>", "image/jpeg")
        if path == "/huge.jpg":
            return self._send(200, b"\xff" * 3_000_000, "image/jpeg")
        if path == "/missing.jpg":
            return self._send(404, b"no", "text/plain")
        if path == "/gone.jpg":
            return self._send(410, b"gone", "text/plain")
        if path == "/loop.jpg":
            return self._redirect("/loop2.jpg")
        if path == "/loop2.jpg":
            return self._redirect("/loop.jpg")
        if path == "/to-metadata.jpg":
            return self._redirect("http://169.254.169.254/latest/meta-data/")
        if path == "/bomb.png":
            return self._send(200, _bomb_png(), "image/png")
        if path == "/stall.jpg":
            time.sleep(8)
            return self._send(200, GOOD, "image/jpeg")
        if path == "/endless.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(100_000):
                    self.wfile.write(b"<p>" + b"x" * 1000 + b"</p>")
                    self.wfile.flush()
            except OSError:
                pass
            return None
        if path == "/not-a-feed.xml":
            return self._send(200, b"<html><body>moved</body></html>", "text/html")
        return self._send(404, b"", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hostile_web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _settings(storage_url: str, base: str) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": storage_url},
            "fetch": {
                "allow_private_addresses": True,
                "per_host_delay": 0,
                "per_host_concurrency": 8,
                "total_timeout": 2.0,
                "connect_timeout": 2.0,
                "max_image_bytes": 1_000_000,
                "max_page_bytes": 1_000_000,
            },
            "sources": [
                {"name": "hostile", "kind": "pages", "urls": [f"{base}/page.html"], "depth": 1},
                {"name": "broken-feed", "kind": "feed", "url": f"{base}/not-a-feed.xml"},
            ],
        }
    )


async def test_hostile_candidates_fail_alone(storage_url: str, hostile_web: str) -> None:
    settings = _settings(storage_url, hostile_web)
    db = open_database(settings.storage.url)
    add_client(db, client_id="k1")
    enroll_item(
        db,
        client_id="k1",
        hashes=fingerprint_enrolled(ORIGINAL, max_pixels=10**8),
        sha256=hashlib.sha256(ORIGINAL).hexdigest(),
        origin="image",
    )

    started = time.monotonic()
    async with running_monitor(settings) as monitor:
        report = await monitor.scan()
    elapsed = time.monotonic() - started
    assert elapsed < 30, "a stalled server or endless page must not hold the sweep"

    pages, feed = report.sweeps
    assert feed.error is not None
    assert "not an RSS or Atom feed" in feed.error
    assert pages.error is None
    assert pages.new_sightings == 1
    assert [s.image_url for s in list_sightings(db)] == [f"{hostile_web}/good.jpg"]

    reasons = {url.removeprefix(hostile_web): reason for url, reason, _ in url_errors(db)}
    expected_words = {
        "/broken.jpg": "image",
        "/truncated.jpg": "image",
        "/html-as-image.jpg": "image",
        "/huge.jpg": "1000000",
        "/missing.jpg": "404",
        "/gone.jpg": "410",
        "/loop.jpg": "redirect",
        "/to-metadata.jpg": "169.254.169.254",
        "/stall.jpg": "time",
        "/bomb.png": "pixels",
        "/endless.html": "1000000",
    }
    for path, word in expected_words.items():
        assert path in reasons, f"{path} failed without a recorded reason; recorded: {reasons}"
        assert word.lower() in reasons[path].lower(), f"{path}: unclear reason {reasons[path]!r}"
    assert pages.failures == len(expected_words)
    db.dispose()


def test_bomb_fixture_is_a_png_that_pillow_itself_calls_a_bomb() -> None:
    with pytest.raises(Image.DecompressionBombError, match="3600000000 pixels"):
        Image.open(io.BytesIO(_bomb_png()))
