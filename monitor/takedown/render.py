"""Turns a route's template and one sighting into the request text.

Templates are user-editable files, so they run in Jinja2's sandbox with undefined names as
errors: a typo in a template names the file and the line instead of printing a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Final

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from monitor.alerts.render import format_utc
from monitor.alerts.takedown import TakedownRegistry
from monitor.errors import ConfigError, InputError
from monitor.store.records import Sighting
from monitor.takedown.routes import ROUTES, Destination, default_route, destination_for, site_of
from monitor.takedown.settings import RequesterDetails

PLACEHOLDERS: Final = {
    "name": "[your full name]",
    "email": "[your email address]",
    "address": "[your postal address]",
    "phone": "[your phone number]",
    "signature": "[your signature]",
}
_MAX_TEMPLATE_BYTES: Final = 64 * 1024


@dataclass(frozen=True)
class TakedownRequest:
    sighting_id: int
    route: str
    title: str
    destination: Destination
    subject: str
    body: str
    warning: str | None


def prepare_request(
    *,
    sighting: Sighting,
    route: str | None,
    registry: TakedownRegistry,
    requester: RequesterDetails | None,
    templates_dir: Path | None,
    now: datetime,
) -> TakedownRequest:
    chosen = route or default_route(sighting, registry)
    if chosen not in ROUTES:
        raise InputError(f"unknown takedown route {chosen!r}; choose one of: {', '.join(ROUTES)}")
    template_name, source = template_source(chosen, templates_dir)
    values = _template_values(sighting, requester=requester, now=now)
    try:
        text = _environment().from_string(source).render(values)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        where = f"{template_name}, line {line}" if line else template_name
        raise ConfigError(f"takedown template {where}: {error}; fix the template") from None
    subject, body = _split_subject(text, template_name)
    return TakedownRequest(
        sighting_id=sighting.id,
        route=chosen,
        title=ROUTES[chosen].title,
        destination=destination_for(chosen, sighting, registry),
        subject=subject,
        body=body,
        warning=ROUTES[chosen].warning,
    )


def template_source(route: str, templates_dir: Path | None) -> tuple[str, str]:
    """(where the template came from, its text): the user's file first, else the built-in."""
    file_name = f"{route}.txt"
    if templates_dir is not None:
        path = templates_dir / file_name
        if path.is_file():
            try:
                if path.stat().st_size > _MAX_TEMPLATE_BYTES:
                    raise ConfigError(f"takedown template {path} is larger than 64 KiB")
                return str(path), path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise ConfigError(f"cannot read takedown template {path}: {error}") from None
    builtin = resources.files("monitor.takedown") / "templates" / file_name
    return f"built-in {file_name}", builtin.read_text(encoding="utf-8")


def builtin_template_names() -> list[str]:
    folder = resources.files("monitor.takedown") / "templates"
    return sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".txt"))


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )


def _template_values(
    sighting: Sighting, *, requester: RequesterDetails | None, now: datetime
) -> dict[str, object]:
    given = requester.model_dump() if requester is not None else {}
    personal = {key: given.get(key) or placeholder for key, placeholder in PLACEHOLDERS.items()}
    return {
        "page_url": sighting.page_url,
        "image_url": sighting.image_url,
        "final_url": sighting.final_url,
        "site": site_of(sighting) or "the site",
        "first_seen": format_utc(sighting.first_seen),
        "last_seen": format_utc(sighting.last_seen),
        "times_seen": sighting.times_seen,
        "sha256": sighting.sha256,
        "today": format_utc(now)[:10],
        **personal,
    }


def _split_subject(text: str, template_name: str) -> tuple[str, str]:
    first, _, rest = text.lstrip("\n").partition("\n")
    if not first.startswith("Subject:"):
        raise ConfigError(
            f"takedown template {template_name}: the first line must be 'Subject: ...', "
            "then an empty line, then the body"
        )
    return first.removeprefix("Subject:").strip(), rest.strip("\n") + "\n"
