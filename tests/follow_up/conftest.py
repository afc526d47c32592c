"""Fixtures for follow-through: a loopback web whose answers a test changes between checks, a
database on SQLite and PostgreSQL, and pictures drawn with Pillow (never sexual content)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.demo.pictures import draw_picture, encode
from monitor.store import Database, open_database
from tests.pg_cluster import PostgresCluster


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "text/plain"
    stall: float = 0.0  # seconds to wait before answering


@dataclass
class ScriptedWeb:
    """Answers each path as `answers` says right now; anything else is a 404."""

    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    port: int = 0
    stop_stalling: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def image(self, path: str, body: bytes) -> None:
        self.answers[path] = Answer(200, body, "image/jpeg")

    def page(self, path: str, *image_paths: str) -> None:
        tags = "".join(f'<img src="{image}">' for image in image_paths)
        self.answers[path] = Answer(200, f"<html><body>{tags}</body></html>".encode(), "text/html")

    def status(self, path: str, status: int) -> None:
        self.answers[path] = Answer(status, b"", "text/plain")


def _handler(web: ScriptedWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            web.requests.append(self.path)
            answer = web.answers.get(self.path, Answer(404, b"not found"))
            if answer.stall:
                web.stop_stalling.wait(answer.stall)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def scripted_web() -> Iterator[ScriptedWeb]:
    web = ScriptedWeb()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(web))
    server.daemon_threads = True
    web.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield web
    finally:
        web.stop_stalling.set()
        time.sleep(0.01)
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def pictures() -> list[bytes]:
    """Three unrelated pictures (abstract shapes drawn with Pillow)."""
    return [encode(draw_picture(seed), quality=90) for seed in range(3)]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A new database per test, as in tests/store (`postgres` is from tests/conftest.py)."""
    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        database = open_database(cluster.url(cluster.fresh_database()))
    yield database
    database.dispose()
