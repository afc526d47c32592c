"""Real notification receivers on 127.0.0.1: an HTTP endpoint for json:// and an SMTP server.

Apprise URLs for them: `receiver.apprise_url("hook")` -> json://127.0.0.1:PORT/hook, and
`smtp_server.apprise_url()` -> a mailto:// URL that speaks plain SMTP with AUTH to the port.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

SMTP_USER = "monitor-user"
SMTP_PASSWORD = "s3cret-Pass-Word"  # a test credential for the local server only


@dataclass
class ReceivedPost:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Captures every POST; answers `status` (or holds the answer until released)."""

    port: int
    status: int = 200
    hold_answer: bool = False
    posts: list[ReceivedPost] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def apprise_url(self, path: str = "hook", *, credentials: str = "") -> str:
        userinfo = f"{credentials}@" if credentials else ""
        return f"json://{userinfo}127.0.0.1:{self.port}/{path}"


def _start_http_receiver(*, status: int, hold_answer: bool) -> tuple[HttpReceiver, Any]:
    receiver = HttpReceiver(port=0, status=status, hold_answer=hold_answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            receiver.posts.append(ReceivedPost(self.path, dict(self.headers.items()), body))
            if receiver.hold_answer:
                receiver.released.wait(timeout=30)
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return receiver, server


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver, server = _start_http_receiver(status=200, hold_answer=False)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def failing_receiver() -> Iterator[HttpReceiver]:
    receiver, server = _start_http_receiver(status=500, hold_answer=False)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent_receiver() -> Iterator[HttpReceiver]:
    """Accepts the request and does not answer until the test ends."""
    receiver, server = _start_http_receiver(status=200, hold_answer=True)
    yield receiver
    receiver.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def unreachable_port() -> int:
    """A loopback port that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class SmtpServer:
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def apprise_url(self, *, password: str = SMTP_PASSWORD) -> str:
        # mailto:// (not mailtos://) with mode=insecure: plain SMTP, no STARTTLS, to this port;
        # smtp= pins the server so Apprise does not guess one from the sender's domain.
        return (
            f"mailto://{SMTP_USER}:{password}@127.0.0.1:{self.port}"
            "?from=monitor@example.org&to=ally@example.org&smtp=127.0.0.1&mode=insecure"
        )


class _CapturingHandler:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self._server.messages.append(message_from_bytes(content))
        self._server.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def _authenticator(server: SmtpServer) -> Any:
    def check(
        _smtp: Any, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = data.login.decode(), data.password.decode()
        server.logins.append((login, password))
        # handled=False: aiosmtpd itself answers "535" to a failed login.
        ok = login == SMTP_USER and password == SMTP_PASSWORD
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture
def smtp_server(unreachable_port: int) -> Iterator[SmtpServer]:
    server = SmtpServer(port=unreachable_port)
    controller = Controller(
        _CapturingHandler(server),
        hostname="127.0.0.1",
        port=server.port,
        authenticator=_authenticator(server),
        auth_require_tls=False,
    )
    controller.start()
    yield server
    controller.stop()
