"""Alerts for the person who runs the monitor: a source that stopped working, and recovered.

A source that fails in silence looks exactly like a web with no copies on it, so the operator is
told once when a source has failed `failures_before_alert` sweeps in a row, and once when it
works again. The text is rendered here from plain data, as discreet as every alert: the title
names only the source (the operator's own label) and a time; the error, which may quote a
watched site's address, is in the body.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from monitor.alerts.apprise_notifier import validate_url
from monitor.alerts.render import AlertMessage, format_utc

MAX_ERROR_CHARS: Final = 300
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _check_apprise_url(url: str) -> str:
    reason = validate_url(url)
    if reason is not None:
        raise ValueError(reason)  # never echo the URL: it may hold a token
    return url


AppriseUrl = Annotated[str, AfterValidator(_check_apprise_url)]


class OperatorSettings(BaseModel):
    """The `[operator]` section of the config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notify: list[AppriseUrl] = Field(
        default_factory=list,
        description="Apprise URLs for the operator's alerts (not a client's); ${VAR} expands. "
        "Empty: the alerts go to the log as warnings.",
    )
    failures_before_alert: int = Field(
        default=3, ge=1, le=1000, description="Failed sweeps in a row before the operator is told."
    )


def render_source_failing(
    *, source: str, failing_since: datetime, failed_sweeps: int, error: str
) -> AlertMessage:
    name = _one_line(source, limit=63)
    since = format_utc(failing_since)
    sweeps = "1 sweep" if failed_sweeps == 1 else f"{failed_sweeps} sweeps"
    return AlertMessage(
        title=f"Monitor: source {name} failing since {since}",
        body=(
            f"Monitor: source {name} failing since {since}: {_one_line(error)}\n\n"
            f"The last {sweeps} of this source failed. Until it works again it finds nothing, "
            "so no news from it is not good news.\n"
            "Details: `monitor sources`. You will get one more message when it works again."
        ),
    )


def render_source_recovered(
    *, source: str, failing_since: datetime, recovered_at: datetime, error: str
) -> AlertMessage:
    name = _one_line(source, limit=63)
    return AlertMessage(
        title=f"Monitor: source {name} works again",
        body=(
            f"Monitor: source {name} works again: its sweep at {format_utc(recovered_at)} "
            f"succeeded.\n\nIt had been failing since {format_utc(failing_since)}: "
            f"{_one_line(error)}\nDetails: `monitor sources`."
        ),
    )


def _one_line(text: str, *, limit: int = MAX_ERROR_CHARS) -> str:
    """Control characters could forge lines in a plain-text alert; long errors are cut."""
    line = " ".join(_UNPRINTABLE.sub(" ", text).split()) or "(no detail)"
    return line if len(line) <= limit else line[: limit - 1] + "…"
