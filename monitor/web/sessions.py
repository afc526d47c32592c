"""Sessions in signed cookies: who is signed in (account id and its session generation) and the
CSRF token of the session. Nothing else is kept, and nothing server-side.

The cookie is HttpOnly and SameSite=Strict; it carries the Secure flag unless the setting says
"never", or it is "auto" and the request came over plain http to a loopback address. Bumping an
account's `session_generation` ends every session of that account.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from typing import Any, Final

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from monitor.web.settings import WebSettings

COOKIE_NAME: Final = "monitor_session"


@dataclass(frozen=True)
class SessionData:
    csrf_token: str
    user_id: int | None = None
    generation: int | None = None


def new_session(*, user_id: int | None = None, generation: int | None = None) -> SessionData:
    return SessionData(csrf_token=secrets.token_urlsafe(32), user_id=user_id, generation=generation)


class SessionCookies:
    def __init__(self, *, settings: WebSettings, secret_key: str) -> None:
        self.settings = settings
        self.max_age = int(settings.session_lifetime.total_seconds())
        self._serializer = URLSafeTimedSerializer(secret_key, salt="monitor-web-session")

    def read(self, request: Request) -> SessionData | None:
        raw = request.cookies.get(COOKIE_NAME)
        if not raw or len(raw) > 4096:
            return None
        try:
            data: Any = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        user_id, generation = data.get("u"), data.get("g")
        if not (isinstance(user_id, int) and isinstance(generation, int)):
            user_id = generation = None
        return SessionData(csrf_token=data["c"], user_id=user_id, generation=generation)

    def write(self, response: Response, request: Request, data: SessionData) -> None:
        value = self._serializer.dumps(
            {"c": data.csrf_token, "u": data.user_id, "g": data.generation}
        )
        response.set_cookie(
            COOKIE_NAME,
            value,
            max_age=self.max_age,
            path="/",
            secure=self.secure_for(request),
            httponly=True,
            samesite="strict",
        )

    def clear(self, response: Response, request: Request) -> None:
        response.delete_cookie(
            COOKIE_NAME,
            path="/",
            secure=self.secure_for(request),
            httponly=True,
            samesite="strict",
        )

    def secure_for(self, request: Request) -> bool:
        mode = self.settings.secure_cookies
        if mode != "auto":
            return mode == "always"
        return not (request.url.scheme == "http" and _is_loopback(request))


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client is not None else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
