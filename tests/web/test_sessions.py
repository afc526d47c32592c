"""The Secure flag: on everywhere except plain http to a loopback address (setting "auto")."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from monitor.web.sessions import SessionCookies, new_session
from monitor.web.settings import WebSettings


def _request(*, scheme: str, client: str) -> Request:
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "server": ("dash.example", 443),
            "path": "/",
            "headers": [],
            "client": (client, 5000),
        }
    )


@pytest.mark.parametrize(
    ("mode", "scheme", "client", "secure"),
    [
        ("auto", "http", "127.0.0.1", False),
        ("auto", "http", "::1", False),
        ("auto", "https", "127.0.0.1", True),  # a TLS proxy said X-Forwarded-Proto: https
        ("auto", "http", "192.0.2.7", True),
        ("auto", "http", "not-an-address", True),
        ("always", "http", "127.0.0.1", True),
        ("never", "https", "192.0.2.7", False),
    ],
)
def test_the_secure_flag(mode: str, scheme: str, client: str, secure: bool) -> None:
    cookies = SessionCookies(
        settings=WebSettings.model_validate({"secure_cookies": mode}), secret_key="k" * 40
    )
    assert cookies.secure_for(_request(scheme=scheme, client=client)) is secure


def test_fresh_sessions_have_distinct_unguessable_tokens() -> None:
    tokens = {new_session().csrf_token for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(token) >= 40 for token in tokens)


def test_a_short_secret_key_is_refused_without_echoing_it() -> None:
    from pydantic import ValidationError

    from monitor.config import describe_validation_error

    with pytest.raises(ValidationError) as caught:
        WebSettings.model_validate({"secret_key": "hunter2"})
    message = describe_validation_error(caught.value)
    assert "at least 32" in message
    assert "hunter2" not in message
