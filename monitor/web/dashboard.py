"""What every request handler shares: the database, settings, cookies, sign-in throttle, clock,
templates, and who is signed in."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from monitor.store.database import Database
from monitor.store.records import Sighting
from monitor.store.review import ReviewError, get_sighting
from monitor.store.staff import StaffUser, get_staff_user
from monitor.web.passwords import Passwords
from monitor.web.sessions import SessionCookies, SessionData
from monitor.web.settings import WebSettings
from monitor.web.throttle import LoginThrottle

MAX_ROW_ID = 2**31 - 1  # PostgreSQL's integer: a larger id is not a row, not a database error
NOT_FOUND = "There is nothing here, or it is not among the clients you may see."


class SignInRequired(Exception):
    """Raised by `require_user`; the app answers with a redirect to the sign-in page."""


@dataclass(frozen=True)
class Dashboard:
    database: Database
    settings: WebSettings
    cookies: SessionCookies
    throttle: LoginThrottle
    passwords: Passwords
    templates: Jinja2Templates
    source_names: tuple[str, ...]
    clock: Callable[[], datetime]


def dashboard_of(request: Request) -> Dashboard:
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard


def cookies_of(request: Request) -> SessionCookies:
    return dashboard_of(request).cookies


def signed_in_user(request: Request) -> StaffUser | None:
    """The account of a valid session: it exists, is enabled, and its sessions were not ended."""
    session = cookies_of(request).read(request)
    if session is None or session.user_id is None:
        return None
    user = get_staff_user(dashboard_of(request).database, session.user_id)
    if user is None or user.disabled or user.session_generation != session.generation:
        return None
    return user


def require_user(request: Request) -> tuple[StaffUser, SessionData]:
    user = signed_in_user(request)
    session = cookies_of(request).read(request)
    if user is None or session is None:
        raise SignInRequired
    return user, session


def require_admin(request: Request) -> tuple[StaffUser, SessionData]:
    user, session = require_user(request)
    if not user.is_admin:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return user, session


def visible_clients(user: StaffUser) -> Collection[str] | None:
    """The clients `user` may see; None means all of them (an admin)."""
    return None if user.is_admin else user.client_ids


def may_see(user: StaffUser, client_id: str) -> bool:
    return user.is_admin or client_id in user.client_ids


def visible_sighting(request: Request, user: StaffUser, sighting_id: int) -> Sighting:
    """The sighting, or 404 alike for one that does not exist and one of another client."""
    if not 0 < sighting_id <= MAX_ROW_ID:
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    try:
        sighting = get_sighting(dashboard_of(request).database, sighting_id)
    except ReviewError:
        raise HTTPException(status_code=404, detail=NOT_FOUND) from None
    if not may_see(user, sighting.client_id):
        raise HTTPException(status_code=404, detail=NOT_FOUND)
    return sighting


def render(
    request: Request,
    template: str,
    *,
    user: StaffUser | None,
    session: SessionData | None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    dashboard = dashboard_of(request)
    return dashboard.templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "csrf_token": session.csrf_token if session is not None else "",
            **context,
        },
        status_code=status_code,
    )
