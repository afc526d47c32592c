"""The TOML config file, read and validated once at start.

Each component defines the model of its own section; this module puts them together, expands
`${VAR}` references from the environment (for secrets) and turns every validation problem into
one `ConfigError` that names the key and the fix.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from monitor.alerts.operator import OperatorSettings
from monitor.alerts.takedown import TakedownRoute
from monitor.allowlist import AllowEntryText
from monitor.capture.seal import AGE_RECIPIENT_HINT, parse_recipient
from monitor.capture.settings import CaptureSettings
from monitor.durations import Duration
from monitor.errors import ConfigError
from monitor.fetch.settings import FetchSettings
from monitor.fingerprint.matching import MatchSettings
from monitor.fingerprint.profiles import ProfileName
from monitor.follow_up.settings import FollowUpSettings
from monitor.sources import SOURCE_TYPES, SourceConfig
from monitor.sources.fields import CLIENT_ID_PATTERN
from monitor.takedown.routes import ROUTES
from monitor.takedown.settings import RequesterDetails, TakedownSettings
from monitor.web.settings import WebSettings

DEFAULT_CONFIG_NAME = "monitor.toml"
SOURCE_KINDS = tuple(
    str(get_args(config.model_fields["kind"].annotation)[0]) for config, _source in SOURCE_TYPES
)
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StorageSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(
        default="sqlite:///monitor.db",
        description="sqlite:///relative/or/absolute.db (relative to the config file) "
        "or postgresql+psycopg://user@host/db",
    )

    @field_validator("url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.rstrip("/") == "sqlite:" or value == "sqlite:///":
            raise ValueError('names no database file; use e.g. "sqlite:///monitor.db"')
        if not value.startswith(("sqlite:///", "postgresql")):
            raise ValueError(
                f'"{value}" is not a supported database URL; use "sqlite:///monitor.db" '
                'or "postgresql+psycopg://user:password@host/dbname"'
            )
        return value


class ClientSettings(BaseModel):
    """Per-client settings kept in the config rather than the database (e.g. secret notify URLs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=CLIENT_ID_PATTERN)
    notify: list[str] = Field(default_factory=list, description="Apprise URLs; ${VAR} expands")
    matching: ProfileName | None = Field(
        default=None,
        description='Matching profile for this client ("strict", "standard", "loose"); '
        "default: the [matching] section.",
    )
    requester: dict[str, RequesterDetails] = Field(
        default_factory=dict,
        description="Who sends takedown requests, per route; other routes print placeholders.",
    )
    allow: list[AllowEntryText] = Field(
        default_factory=list,
        description="Her own domains (with subdomains) or http(s) URL prefixes of her own pages "
        "and accounts: images found there are never recorded for her.",
    )

    capture: bool = Field(
        default=False,
        description="Capture each new sighting's page (WARC, screenshot), sealed to age_recipient.",
    )
    age_recipient: str | None = Field(
        default=None, description="The age public key (age1...) captures are sealed to."
    )

    @model_validator(mode="after")
    def _capture_needs_a_key(self) -> ClientSettings:
        if self.age_recipient is not None:
            parse_recipient(self.age_recipient)
        elif self.capture:
            raise ValueError(f"capture = true needs age_recipient; {AGE_RECIPIENT_HINT}")
        return self

    @field_validator("requester")
    @classmethod
    def _known_routes(cls, value: dict[str, RequesterDetails]) -> dict[str, RequesterDetails]:
        for route in value:
            if route not in ROUTES:
                raise ValueError(
                    f"requester.{route}: no such takedown route; use one of: {', '.join(ROUTES)}"
                )
        return value


class AlertSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    retry_first: Duration = Field(
        default=timedelta(minutes=1), description="Wait before the first retry."
    )
    retry_max: Duration = Field(
        default=timedelta(hours=1), description="Longest wait between retries."
    )
    takedown: list[TakedownRoute] = Field(
        default_factory=list, description="Extra or overriding takedown routes per domain."
    )


class ScanSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    workers: int = Field(default=8, ge=1, le=256, description="Candidates processed at once.")
    max_pages: int = Field(default=500, ge=1, description="Pages fetched per source per sweep.")
    max_images_per_page: int = Field(default=200, ge=1)
    jitter: Duration = Field(
        default=timedelta(seconds=60), description="Random delay added to each scheduled sweep."
    )


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    storage: StorageSettings = Field(default_factory=StorageSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    matching: MatchSettings = Field(default_factory=MatchSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    operator: OperatorSettings = Field(default_factory=OperatorSettings)
    scan: ScanSettings = Field(default_factory=ScanSettings)
    follow_up: FollowUpSettings = Field(default_factory=FollowUpSettings)
    takedown: TakedownSettings = Field(default_factory=TakedownSettings)
    captures: CaptureSettings = Field(default_factory=CaptureSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    sources: list[SourceConfig] = Field(default_factory=list)
    clients: list[ClientSettings] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Settings:
        for label, names in (
            ("sources", [source.name for source in self.sources]),
            ("clients", [client.id for client in self.clients]),
        ):
            seen: set[str] = set()
            for index, name in enumerate(names):
                if name in seen:
                    raise ValueError(
                        f"{label}[{index}]: {name!r} appears twice; names must be unique"
                    )
                seen.add(name)
        return self

    def source_named(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(source.name for source in self.sources) or "none configured"
        raise ConfigError(f"no source named {name!r} in the config (sources: {known})")

    def capture_clients(self) -> list[tuple[str, str]]:
        """(client id, age recipient) of every client whose sightings are captured."""
        return [
            (client.id, client.age_recipient)
            for client in self.clients
            if client.capture and client.age_recipient is not None
        ]

    def requester_for(self, client_id: str, route: str) -> RequesterDetails | None:
        for client in self.clients:
            if client.id == client_id:
                return client.requester.get(route)
        return None

    def matching_for(self, client_id: str) -> MatchSettings:
        """The match thresholds for one client: its own profile, else the [matching] section."""
        for client in self.clients:
            if client.id == client_id and client.matching is not None:
                if client.matching == self.matching.profile:
                    return self.matching
                return MatchSettings.for_profile(client.matching)
        return self.matching

    def notify_urls_for(self, client_id: str) -> list[str]:
        for client in self.clients:
            if client.id == client_id:
                return list(client.notify)
        return []


def default_config_path(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG_NAME)


def load_settings(path: Path, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, expand and validate the config file at `path`."""
    environ = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no config file at {path}; create one with `monitor init --config {path}` "
            "or point to yours with --config FILE or $MONITOR_CONFIG"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path} nests tables or arrays too deeply to be a config") from None
    expanded = _expand_env(raw, environ=environ, where="")
    try:
        settings = Settings.model_validate(expanded)
    except ValidationError as error:
        raise ConfigError(f"{path}: {describe_validation_error(error)}") from None
    settings = _resolve_sqlite_path(settings, base=path.parent)
    return _resolve_folders(settings, base=path.parent)


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem: `sources[2].every: "5 mins" is not a duration; use e.g. ...`."""
    lines = []
    for problem in error.errors(include_url=False):
        location = _format_location(problem["loc"])
        message = problem["msg"].removeprefix("Value error, ")
        kind = problem["type"]
        given = problem.get("input")
        if kind == "extra_forbidden":
            message = "unknown key; check the spelling against configs/example.toml"
        elif kind == "missing":
            message = "missing; this key is required"
        elif kind in {"union_tag_invalid", "union_tag_not_found"}:
            tag = problem.get("ctx", {}).get("tag")
            kinds = ", ".join(repr(name) for name in SOURCE_KINDS)
            location = f"{location}.kind" if location else "kind"
            message = (
                f"{tag!r} is not a kind of source; use one of: {kinds}"
                if kind == "union_tag_invalid"
                else f"missing; say which kind of source this is: {kinds}"
            )
        elif isinstance(given, dict | list):
            pass  # never echo a whole table: it may hold secrets expanded from the environment
        elif "input" in problem and kind not in {"value_error", "assertion_error"}:
            message = f"{given!r}: {message}"
        lines.append(f"{location}: {message}" if location else message)
    return "\n".join(lines)


def _format_location(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in SOURCE_KINDS and text.endswith("]"):
            continue  # the discriminator's own tag adds nothing for the user
        else:
            text += f".{part}" if text else str(part)
    return text


def _expand_env(value: Any, *, environ: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise ConfigError(
                    f"{where or 'config'}: environment variable {name} is not set; "
                    f"export {name}=... before starting the monitor"
                )
            return environ[name]

        return _ENV_REFERENCE.sub(substitute, value)
    if isinstance(value, dict):
        return {
            key: _expand_env(item, environ=environ, where=f"{where}.{key}" if where else key)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            _expand_env(item, environ=environ, where=f"{where}[{index}]")
            for index, item in enumerate(value)
        ]
    return value


def _resolve_sqlite_path(settings: Settings, *, base: Path) -> Settings:
    url = settings.storage.url
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return settings
    database = Path(url.removeprefix("sqlite:///"))
    if not database.is_absolute():
        database = (base / database).resolve()
    storage = settings.storage.model_copy(update={"url": f"sqlite:///{database}"})
    return settings.model_copy(update={"storage": storage})


def _resolve_folders(settings: Settings, *, base: Path) -> Settings:
    """Folders in the config are relative to the config file, like the SQLite path."""
    folder = settings.takedown.templates
    if folder is not None and not folder.is_absolute():
        takedown = settings.takedown.model_copy(update={"templates": (base / folder).resolve()})
        settings = settings.model_copy(update={"takedown": takedown})
    captures = settings.captures.directory
    if not captures.is_absolute():
        moved = settings.captures.model_copy(update={"directory": (base / captures).resolve()})
        settings = settings.model_copy(update={"captures": moved})
    return settings
