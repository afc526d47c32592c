"""The Jinja2 templates (package data under `templates/`) and the filters they use."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import jinja2
from starlette.templating import Jinja2Templates

LINKABLE_SCHEMES = frozenset({"http", "https"})
TAKEDOWN_SCHEMES = frozenset({"http", "https", "mailto"})


def build_templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("monitor.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["utc"] = utc_text
    environment.filters["web_href"] = web_href
    environment.filters["takedown_href"] = takedown_href
    return Jinja2Templates(env=environment)


def utc_text(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def web_href(url: str) -> str | None:
    """`url` when it is safe to link (http or https with a host); None otherwise."""
    return _href(url, LINKABLE_SCHEMES)


def takedown_href(url: str) -> str | None:
    return _href(url, TAKEDOWN_SCHEMES)


def _href(url: str, schemes: frozenset[str]) -> str | None:
    if any(ord(character) < 0x21 or ord(character) == 0x7F for character in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in schemes:
        return None
    if parts.scheme.lower() != "mailto" and not parts.hostname:
        return None
    return url
