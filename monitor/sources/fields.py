"""Config field types every kind of source shares: its name, its URLs and API keys.

URLs stay plain strings, exactly as written in the config (pydantic's HttpUrl would rewrite
them), after a check that they are http(s) with a host.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field, SecretStr

_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
CLIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


def check_source_name(value: str) -> str:
    if not _SOURCE_NAME.fullmatch(value):
        raise ValueError(
            f"source name {value!r} is not allowed; use 1 to 63 lowercase letters, digits, "
            '"_", "." or "-", starting with a letter or digit, e.g. "jane-alerts"'
        )
    return value


def check_client_id(value: str) -> str:
    if not re.fullmatch(CLIENT_ID_PATTERN, value):
        raise ValueError(
            f"{value!r} is not a client ID; use the case label the client was added with "
            "(`monitor client list` shows them)"
        )
    return value


def check_http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number 0-65535
    except ValueError:
        usable = False
    if not usable or any(character.isspace() for character in value):
        raise ValueError(
            f"{value!r} is not an http(s) URL with a host; write the whole address, "
            'e.g. "https://example.org/page"'
        )
    return value


def check_api_key(value: SecretStr) -> SecretStr:
    key = value.get_secret_value().strip()
    if not key or any(character.isspace() or not character.isprintable() for character in key):
        raise ValueError(
            "is empty or has spaces; give the key through an environment variable, "
            'e.g. serpapi_key = "${SERPAPI_KEY}"'
        )
    return SecretStr(key)


SourceName = Annotated[str, AfterValidator(check_source_name)]
"""The stable ID of a source: stored with every sighting, so it must not change."""

HttpUrlText = Annotated[str, AfterValidator(check_http_url)]

ApiKeyText = Annotated[SecretStr, AfterValidator(check_api_key)]
"""An API key: never printed (shown as "**********"); write it as "${VAR}" in the config."""

ClientIdText = Annotated[str, AfterValidator(check_client_id)]


class SourceConfigBase(BaseModel):
    """Keys every kind of `[[sources]]` table has, whatever else it takes."""

    clients: tuple[ClientIdText, ...] = Field(
        default=(),
        description=(
            "The clients this source belongs to, e.g. one client's own Google Alerts feed: "
            "what it finds is matched against their fingerprints only. Empty (the default): "
            "a shared source, matched against every client's."
        ),
    )
