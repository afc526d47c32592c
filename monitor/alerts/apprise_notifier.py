"""Delivers a rendered alert to Apprise URLs, one Apprise object per URL so each outcome is known.

Notification URLs hold secrets (bot tokens, passwords, webhook paths). They never appear in a
`DeliveryResult` or a log line from here: targets are redacted to scheme and, where the host is
a server rather than a token, host and port. Apprise's own DEBUG output prints request URLs in
full, so the `apprise` logger is held at WARNING, where its messages name hosts only and mask
credentials. Alerts are plain text with no attachments, ever.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import apprise

from monitor.alerts.render import AlertMessage

INVALID_URL_REASON: Final = "not a valid Apprise URL; see https://github.com/caronc/apprise/wiki"

# Schemes whose host part is a server address, not a token: safe to show in results and logs.
_SERVER_HOST_SCHEMES: Final = frozenset(
    {
        "json",
        "jsons",
        "xml",
        "xmls",
        "form",
        "forms",
        "mailto",
        "mailtos",
        "ntfy",
        "ntfys",
        "gotify",
        "gotifys",
        "matrix",
        "matrixs",
        "mqtt",
        "mqtts",
        "apprise",
        "apprises",
        "rocket",
        "rockets",
        "mmost",
        "mmosts",
        "nctalk",
        "nctalks",
        "ncloud",
        "nclouds",
        "signal",
        "signals",
        "emby",
        "embys",
    }
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,31}")
_SHOWABLE_HOST = re.compile(r"[A-Za-z0-9.:_-]+")
_MAX_ERROR_CHARS: Final = 300

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeliveryResult:
    """Outcome for one notification URL. `target` is redacted; `error` is None when ok."""

    target: str
    ok: bool
    error: str | None


class AppriseNotifier:
    """Sends alerts through Apprise. Synchronous: call it from a worker thread in async code."""

    def __init__(self, *, timeout: float = 20.0) -> None:
        if not (math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        self._timeout = timeout
        # No custom plugin directories: only Apprise's own plugins may run.
        self._asset = apprise.AppriseAsset(plugin_paths=[])
        _quiet_apprise_logger()

    def send(self, *, urls: Sequence[str], message: AlertMessage) -> list[DeliveryResult]:
        """Deliver `message` to each URL; one result per URL, in order. Never raises for a URL."""
        return [self._send_one(url=url, message=message) for url in urls]

    @staticmethod
    def validate_url(url: str) -> str | None:
        """None when Apprise can use `url`, else the reason it cannot."""
        return validate_url(url)

    def _send_one(self, *, url: str, message: AlertMessage) -> DeliveryResult:
        target = redact_url(url)
        plugin = _load_plugin(url, asset=self._asset)
        if plugin is None:
            return DeliveryResult(target=target, ok=False, error=INVALID_URL_REASON)
        try:
            # A connect or read that takes longer than the whole budget is cut at the budget.
            plugin.socket_connect_timeout = min(float(plugin.socket_connect_timeout), self._timeout)
            plugin.socket_read_timeout = min(float(plugin.socket_read_timeout), self._timeout)
            notifier = apprise.Apprise(asset=self._asset)
            notifier.add(plugin)
            outcome = notifier.notify(
                body=message.body,
                title=message.title,
                notify_type=apprise.NotifyType.INFO,
                body_format=apprise.NotifyFormat.TEXT,
                timeout=self._timeout,
            )
        except Exception as error:  # a plugin bug must not stop the other URLs
            # The exception text may quote the URL with its secret; only the type is kept.
            _log.warning("delivery to %s raised %s", target, type(error).__name__)
            return DeliveryResult(
                target=target, ok=False, error=f"Apprise raised {type(error).__name__}"
            )
        if outcome:
            return DeliveryResult(target=target, ok=True, error=None)
        return DeliveryResult(target=target, ok=False, error=self._failure_reason(outcome))

    def _failure_reason(self, outcome: Any) -> str:
        if outcome.status == apprise.AppriseResultStatus.TIMEOUT:
            return f"no answer within {self._timeout:g} s"
        messages = [entry.message for entry in outcome.logs() if entry.level != "DEBUG"]
        reason = "; ".join(dict.fromkeys(messages)) or "delivery failed (no detail from Apprise)"
        if len(reason) > _MAX_ERROR_CHARS:
            return reason[: _MAX_ERROR_CHARS - 1] + "…"
        return reason


def validate_url(url: str) -> str | None:
    """None when Apprise can use `url`, else the reason it cannot (for `client add --notify`)."""
    if _load_plugin(url, asset=apprise.AppriseAsset(plugin_paths=[])) is None:
        return INVALID_URL_REASON
    return None


def redact_url(url: str) -> str:
    """The URL reduced to what is safe to show: `tgram://***`, `json://127.0.0.1:8025/***`."""
    scheme, separator, _ = url.strip().partition("://")
    scheme = scheme.lower()
    if not separator or not _SCHEME.fullmatch(scheme):
        return "***"
    if scheme not in _SERVER_HOST_SCHEMES:
        return f"{scheme}://***"
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"{scheme}://***"
    if not host or not _SHOWABLE_HOST.fullmatch(host):
        return f"{scheme}://***"
    shown_host = f"[{host}]" if ":" in host else host
    shown_port = f":{port}" if port is not None else ""
    return f"{scheme}://{shown_host}{shown_port}/***"


def _load_plugin(url: str, *, asset: apprise.AppriseAsset) -> Any:
    """The Apprise plugin for exactly this one URL, or None when Apprise cannot use it."""
    if not isinstance(url, str) or not url.strip():
        return None
    # Apprise logs a URL it cannot parse in full, secret tokens included: silence it meanwhile.
    apprise_logger = logging.getLogger(apprise.LOGGER_NAME)
    previous, apprise_logger.disabled = apprise_logger.disabled, True
    try:
        return apprise.Apprise.instantiate(url.strip(), asset=asset, suppress_exceptions=True)
    except Exception:  # any parse crash means an unusable URL
        return None
    finally:
        apprise_logger.disabled = previous


def _quiet_apprise_logger() -> None:
    apprise_logger = logging.getLogger(apprise.LOGGER_NAME)
    if apprise_logger.level < logging.WARNING:  # NOTSET (0) would inherit a DEBUG root
        apprise_logger.setLevel(logging.WARNING)
