"""Videos on a page: embedded and linked video files are fetched within caps, sampled and matched;
a thumbnail of an enrolled video is a sighting of it; hostile videos fail alone with a reason."""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Settings
from monitor.demo.pictures import draw_picture
from monitor.fingerprint.video import fingerprint_enrolled_video
from monitor.fingerprint.video_decode import VideoLimits
from monitor.service import running_monitor
from monitor.store import open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.crawl import url_errors
from monitor.store.sightings import list_sightings
from tests.videos import Clip, Shot, cuts_between, encode_clip

SIZE = (192, 108)
OURS = cuts_between(
    [draw_picture(seed, size=(480, 360)) for seed in (31, 32, 33)], seconds=2.0, size=SIZE
)
ORIGINAL = encode_clip(OURS)
OTHER = Clip(shots=(Shot(draw_picture(34, size=(480, 360)), 4.0),), size=SIZE)
MAX_VIDEO_BYTES = 400_000


def _thumbnail() -> bytes:
    buffer = io.BytesIO()
    OURS.frame_at(3.4).resize((144, 81)).save(buffer, format="JPEG", quality=70)  # in memory
    return buffer.getvalue()


ROUTES: dict[str, tuple[str, bytes]] = {
    "/copy.mp4": ("video/mp4", encode_clip(OURS, size=(160, 90), quality=34)),
    "/excerpt": ("video/webm", encode_clip(OURS, container="webm", start=2.0, seconds=3.5)),
    "/other.mp4": ("video/mp4", encode_clip(OTHER)),
    "/thumb.jpg": ("image/jpeg", _thumbnail()),
    "/garbage.mp4": ("video/mp4", b"\x00\x00\x00\x18ftypisom" + bytes(range(256)) * 50),
    "/truncated.mp4": ("video/mp4", ORIGINAL[: len(ORIGINAL) // 2]),
    "/huge.webm": ("video/webm", encode_clip(OTHER, container="webm", size=(640, 480))),
    "/too-big.mp4": ("video/mp4", b"\x00\x00\x00\x18ftypisom" + b"\x00" * (MAX_VIDEO_BYTES + 1)),
}
PAGE = b"""<html><body>
<video src="/copy.mp4" controls></video>
<video><source src="/excerpt" type="video/webm"></video>
<a href="/other.mp4">another video</a>
<img src="/thumb.jpg">
<video src="/garbage.mp4"></video>
<a href="/truncated.mp4">part</a>
<video src="/huge.webm"></video>
<a href="/too-big.mp4">big</a>
<video src="/endless.webm"></video>
</body></html>"""


class VideoSite(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path == "/videos.html":
            return self._send(PAGE, "text/html")
        if self.path == "/endless.webm":
            return self._endless()
        content_type, body = ROUTES.get(self.path, ("text/plain", b""))
        if not body:
            self.send_error(404)
            return None
        return self._send(body, content_type)

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def _endless(self) -> None:
        """A live stream that never ends: a WebM header, then data forever."""
        self.send_response(200)
        self.send_header("Content-Type", "video/webm")
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(b"\x1a\x45\xdf\xa3")
            for _ in range(100_000):
                self.wfile.write(b"\x00" * 10_000)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def video_site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), VideoSite)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_videos_on_a_page_are_matched_and_hostile_ones_fail_alone(
    tmp_path: Path, video_site: str
) -> None:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'm.db'}"},
            "fetch": {
                "allow_private_addresses": True,
                "per_host_delay": 0,
                "per_host_concurrency": 8,
                "total_timeout": 5.0,
                "max_video_bytes": MAX_VIDEO_BYTES,
                "max_video_pixels": 320 * 240,
            },
            "sources": [{"name": "tube", "kind": "pages", "urls": [f"{video_site}/videos.html"]}],
        }
    )
    db = open_database(settings.storage.url)
    add_client(db, client_id="k1")
    enrolled = enroll_item(
        db,
        client_id="k1",
        hashes=fingerprint_enrolled_video(
            ORIGINAL, limits=VideoLimits.for_seconds(3600, max_pixels=10**7)
        ),
        sha256=hashlib.sha256(ORIGINAL).hexdigest(),
        origin="video",
    )

    async with running_monitor(settings) as monitor:
        report = await monitor.scan()

    [sweep] = report.sweeps
    found = {s.image_url.removeprefix(video_site): s for s in list_sightings(db)}
    assert sorted(found) == ["/copy.mp4", "/excerpt", "/thumb.jpg"]
    assert {s.item_id for s in found.values()} == {enrolled.item_id}
    assert found["/copy.mp4"].algorithm.endswith("frames")
    assert found["/thumb.jpg"].algorithm in ("pdq", "phash+dhash")
    assert sweep.new_sightings == 3

    reasons = {url.removeprefix(video_site): reason for url, reason, _ in url_errors(db)}
    expected_words = {
        "/garbage.mp4": "corrupt",
        "/truncated.mp4": "truncated",
        "/huge.webm": "max_video_pixels",
        "/too-big.mp4": str(MAX_VIDEO_BYTES),
        "/endless.webm": str(MAX_VIDEO_BYTES),
    }
    for path, word in expected_words.items():
        assert word in reasons.get(path, ""), f"{path}: unclear or missing reason {reasons}"
    assert sweep.failures == len(expected_words)
    db.dispose()
