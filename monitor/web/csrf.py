"""CSRF protection: every POST must carry the session's token in the form field `csrf_token`.

SameSite=Strict cookies already keep other sites' forms from acting as a signed-in person; the
token also covers browsers without SameSite and the sign-in form itself (against login CSRF).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Final

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from monitor.web.sessions import SessionCookies

FIELD: Final = "csrf_token"
MAX_FORM_FIELDS: Final = 20
MAX_FIELD_BYTES: Final = 10_000

FormEndpoint = Callable[[Request, FormData], Awaitable[Response]]


def token_matches(*, expected: str | None, given: object) -> bool:
    if not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def csrf_protected(
    cookies_of: Callable[[Request], SessionCookies],
) -> Callable[[FormEndpoint], Callable[[Request], Awaitable[Response]]]:
    """Wrap a POST endpoint: read its (small, file-free) form, refuse it without the token."""

    def decorate(endpoint: FormEndpoint) -> Callable[[Request], Awaitable[Response]]:
        @wraps(endpoint)
        async def checked(request: Request) -> Response:
            form = await request.form(
                max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FIELD_BYTES
            )
            session = cookies_of(request).read(request)
            expected = session.csrf_token if session is not None else None
            if not token_matches(expected=expected, given=form.get(FIELD)):
                raise HTTPException(
                    status_code=403,
                    detail="This form has expired or did not come from this dashboard. "
                    "Go back, reload the page and try again.",
                )
            return await endpoint(request, form)

        return checked

    return decorate
