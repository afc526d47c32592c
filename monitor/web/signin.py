"""Signing in and out."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from monitor.store.staff import StaffUser, end_sessions, find_login, replace_password_hash
from monitor.web.csrf import csrf_protected
from monitor.web.dashboard import (
    cookies_of,
    dashboard_of,
    render,
    require_user,
    signed_in_user,
)
from monitor.web.sessions import new_session

MAX_NAME_CHARS = 100


def safe_next(target: object) -> str:
    """Where to go after signing in: a path on this site only, never another host."""
    if (
        isinstance(target, str)
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and len(target) < 500
        and target.isprintable()
    ):
        return target
    return "/queue"


def login_form(request: Request) -> Response:
    if signed_in_user(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    cookies = cookies_of(request)
    session = cookies.read(request)
    fresh = session is None
    if session is None:
        session = new_session()
    response = render(
        request,
        "login.html",
        user=None,
        session=session,
        next=safe_next(request.query_params.get("next")),
        error=None,
    )
    if fresh:
        cookies.write(response, request, session)
    return response


@csrf_protected(cookies_of)
async def login(request: Request, form: FormData) -> Response:
    dashboard = dashboard_of(request)
    username = str(form.get("username") or "")[:MAX_NAME_CHARS]
    password = str(form.get("password") or "")
    address = request.client.host if request.client is not None else "unknown"
    now = dashboard.clock()
    target = safe_next(form.get("next"))
    if not dashboard.throttle.allows(username=username, address=address, now=now):
        return _login_failed(
            request, target, "Too many failed sign-ins. Wait 15 minutes, then try again.", 429
        )
    user = await run_in_threadpool(_check_password, request, username, password)
    if user is None:
        dashboard.throttle.record_failure(username=username, address=address, now=now)
        return _login_failed(request, target, "Wrong name or password.", 401)
    dashboard.throttle.record_success(username=username)
    response = RedirectResponse(target, status_code=303)
    # A new session and CSRF token at sign-in: a token planted before cannot ride along.
    session = new_session(user_id=user.id, generation=user.session_generation)
    dashboard.cookies.write(response, request, session)
    return response


def _check_password(request: Request, username: str, password: str) -> StaffUser | None:
    dashboard = dashboard_of(request)
    found = find_login(dashboard.database, username) if username else None
    usable = found is not None and not found.user.disabled
    known_hash = found.password_hash if found is not None and usable else None
    passwords = dashboard.passwords
    if not passwords.verify(password_hash=known_hash, password=password) or found is None:
        return None
    if passwords.needs_rehash(found.password_hash):
        rehashed = passwords.hash(password)
        replace_password_hash(dashboard.database, user_id=found.user.id, password_hash=rehashed)
    return found.user


def _login_failed(request: Request, target: str, message: str, status: int) -> Response:
    session = cookies_of(request).read(request)
    return render(
        request,
        "login.html",
        user=None,
        session=session,
        next=target,
        error=message,
        status_code=status,
    )


@csrf_protected(cookies_of)
async def logout(request: Request, form: FormData) -> Response:
    """Signing out ends every session of the account, on every device."""
    user, _session = await run_in_threadpool(require_user, request)
    await run_in_threadpool(end_sessions, dashboard_of(request).database, user_id=user.id)
    response = RedirectResponse("/login", status_code=303)
    cookies_of(request).clear(response, request)
    return response


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
