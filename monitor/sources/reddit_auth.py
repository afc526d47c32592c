"""Reddit's application-only OAuth: the app's client ID and secret buy a bearer token.

`POST /api/v1/access_token` with HTTP Basic auth (client ID, secret) and
`grant_type=client_credentials` answers `{"access_token", "token_type": "bearer",
"expires_in", "scope"}`. The token is kept until shortly before it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from monitor.errors import FetchError
from monitor.fetch.client import Fetcher
from monitor.sources.api_pacing import ApiPacer, Clock, finite_number

CREDENTIALS_HINT = (
    "check client_id and client_secret: the ID under the app's name and its secret at "
    "https://www.reddit.com/prefs/apps (a 'script' or 'web app' type app)"
)
_RENEW_BEFORE_EXPIRY = timedelta(seconds=60)


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: datetime


class RedditAppToken:
    def __init__(
        self,
        *,
        auth_endpoint: str,
        client_id: str,
        client_secret: SecretStr,
        user_agent: str,
        pacer: ApiPacer,
        clock: Clock,
    ) -> None:
        self._url = auth_endpoint.rstrip("/") + "/api/v1/access_token"
        self._credentials = (client_id, client_secret)
        self._user_agent = user_agent
        self._pacer = pacer
        self._clock = clock
        self._token: _Token | None = None

    async def value(self, fetcher: Fetcher, *, renew: bool = False) -> str:
        """The current token; a new one when there is none, it expires or `renew` is set.
        Raises `FetchError` naming client_id and client_secret when Reddit refuses them."""
        if not renew and self._token is not None and self._clock() < self._token.expires_at:
            return self._token.value
        client_id, secret = self._credentials
        response = await self._pacer.send(
            lambda: fetcher.call_api(
                "POST",
                self._url,
                data={"grant_type": "client_credentials"},
                auth=(client_id, secret.get_secret_value()),
                headers={"user-agent": self._user_agent},
            )
        )
        if response.status in (400, 401, 403):
            raise FetchError(
                self._url,
                f"Reddit refused the app credentials (HTTP {response.status}); {CREDENTIALS_HINT}",
            )
        if response.status != 200:
            raise FetchError(
                self._url, f"the access token request failed with HTTP {response.status}"
            )
        self._token = self._parse(response.json())
        return self._token.value

    def _parse(self, payload: Any) -> _Token:
        fields = payload if isinstance(payload, dict) else {}
        token = fields.get("access_token")
        if not isinstance(token, str) or not token or not (token.isascii() and token.isprintable()):
            error = fields.get("error")
            said = f" ({error[:80]})" if isinstance(error, str) and error.isprintable() else ""
            raise FetchError(self._url, f"Reddit gave no access token{said}; {CREDENTIALS_HINT}")
        lifetime = finite_number(str(fields.get("expires_in", ""))) or 3600.0
        lifetime = min(lifetime, 86400.0)
        expires_at = self._clock() + timedelta(seconds=lifetime) - _RENEW_BEFORE_EXPIRY
        return _Token(value=token, expires_at=expires_at)
