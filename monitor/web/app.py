"""The dashboard application: routes, security headers, error pages; `create_app` builds it."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Final
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.store.database import Database
from monitor.web import admin_pages, client_pages, review_pages, signin
from monitor.web.dashboard import NOT_FOUND, Dashboard, SignInRequired, render
from monitor.web.passwords import Passwords
from monitor.web.sessions import SessionCookies
from monitor.web.settings import WebSettings
from monitor.web.templating import build_templates
from monitor.web.throttle import LoginThrottle

log = logging.getLogger(__name__)

# No scripts at all; images, styles and forms only from the dashboard itself, never in a frame.
SECURITY_HEADERS: Final = {
    "content-security-policy": "default-src 'none'; img-src 'self'; style-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every response, error pages included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    *,
    database: Database,
    settings: WebSettings,
    source_names: Sequence[str] = (),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    passwords: Passwords | None = None,
) -> Starlette:
    secret = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    if secret is None:
        log.warning(
            "web.secret_key is not set: using a random key, so a restart signs everyone out"
        )
        secret = secrets.token_urlsafe(48)
    routes = [
        Route("/", home, methods=["GET"]),
        Route("/dashboard.css", stylesheet, methods=["GET"]),
        *signin.ROUTES,
        *review_pages.ROUTES,
        *client_pages.ROUTES,
        *admin_pages.ROUTES,
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: error_page, SignInRequired: sign_in_first},
    )
    app.state.dashboard = Dashboard(
        database=database,
        settings=settings,
        cookies=SessionCookies(settings=settings, secret_key=secret),
        throttle=LoginThrottle(),
        passwords=passwords or Passwords(),
        templates=build_templates(),
        source_names=tuple(source_names),
        clock=clock,
    )
    app.add_middleware(SecurityHeaders)
    return app


def home(request: Request) -> Response:
    return RedirectResponse("/queue", status_code=303)


def stylesheet(request: Request) -> Response:
    css = resources.files("monitor.web").joinpath("static/dashboard.css").read_text("utf-8")
    return Response(css, media_type="text/css")


async def sign_in_first(request: Request, exc: Exception) -> Response:
    target = request.url.path if request.method == "GET" else "/queue"
    return RedirectResponse(f"/login?next={quote(target)}", status_code=303)


async def error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = NOT_FOUND if exc.status_code == 404 else exc.detail
    return render(
        request,
        "error.html",
        user=None,
        session=None,
        status=exc.status_code,
        detail=detail,
        status_code=exc.status_code,
    )
