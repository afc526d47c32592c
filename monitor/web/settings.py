"""The `[web]` section of the config: where the dashboard listens and how it keeps sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from monitor.durations import Duration

MIN_SECRET_CHARS = 32


class WebSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(default="127.0.0.1", description="Address `monitor web` listens on.")
    port: int = Field(default=8080, ge=1, le=65535)
    secret_key: SecretStr | None = Field(
        default=None,
        description='Signs session cookies; e.g. "${MONITOR_WEB_SECRET}". Without it a random '
        "key is made at each start, so every restart signs everyone out.",
    )
    secure_cookies: Literal["auto", "always", "never"] = Field(
        default="auto",
        description='"auto": the Secure flag on every cookie except over plain http to a '
        'loopback address; "always" behind a TLS proxy; "never" only for testing.',
    )
    session_lifetime: Duration = Field(
        default=timedelta(hours=12), description="How long a sign-in lasts."
    )
    trusted_proxies: str = Field(
        default="127.0.0.1",
        description="Addresses whose X-Forwarded-For/-Proto headers are believed (a reverse "
        "proxy on this machine), comma-separated.",
    )

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_CHARS:
            raise ValueError(
                f"too short; use at least {MIN_SECRET_CHARS} random characters, e.g. the output "
                "of `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value
