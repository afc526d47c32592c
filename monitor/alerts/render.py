"""Alert text, rendered from plain data: no I/O, same input -> same text.

Alerts are discreet. The title is all a lock screen shows, so it carries only a case label and a
count: no site names, no URLs, no words about the content. The body lists where and when each
match was found and a removal link; its wording never describes the content either. URLs come
from the web and are the user's own data, so they are shown as found, made safe to print.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import quote

# Words the alert TEMPLATE text never contains (tests render every template and check). A URL
# found on the web may contain them; that is the user's data, not our wording.
DISCREET_WORDS: Final[tuple[str, ...]] = (
    "nude",
    "naked",
    "porn",
    "sex",
    "explicit",
    "intimate",
    "leak",
    "nsfw",
    "xxx",
    "revenge",
)

MAX_LISTED_ITEMS: Final = 20
MAX_SHOWN_URL_CHARS: Final = 500
MAX_CASE_LABEL_CHARS: Final = 64

# Control characters and Unicode line breaks could forge extra lines in a plain-text alert.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACE_RUNS = re.compile(r"\s+")


@dataclass(frozen=True)
class AlertItem:
    """One new sighting to report. `first_seen` is UTC; a naive datetime is taken as UTC."""

    page_url: str
    image_url: str
    first_seen: datetime
    takedown_url: str


@dataclass(frozen=True)
class AlertMessage:
    title: str
    body: str


def render_digest(*, case_label: str, items: Sequence[AlertItem]) -> AlertMessage:
    """One message for one client's new sightings in one sweep, oldest first."""
    label = _one_line_label(case_label)
    count = len(items)
    noun = "match" if count == 1 else "matches"
    title = f"Monitor: {count} new {noun} for case {label}"

    ordered = sorted(items, key=lambda item: (_utc(item.first_seen), item.page_url, item.image_url))
    listed = ordered[:MAX_LISTED_ITEMS]
    lines = [f"{count} new {noun} for case {label}, oldest first.", ""]
    for number, item in enumerate(listed, start=1):
        lines.extend(_item_lines(number=number, item=item))
        lines.append("")

    hidden = count - len(listed)
    if hidden > 0:
        lines.append(f"and {hidden} more — run `{_sightings_command(label)}`")
    else:
        lines.append(f"All sightings: `{_sightings_command(label)}`")
    return AlertMessage(title=title, body="\n".join(lines))


def render_test_message(*, case_label: str) -> AlertMessage:
    """A harmless alert that proves the notification route works."""
    label = _one_line_label(case_label)
    return AlertMessage(
        title=f"Monitor: test alert for case {label}",
        body=(
            f"This is a test alert for case {label}.\n"
            "Alerts for this case will arrive here. No action is needed."
        ),
    )


def format_utc(moment: datetime) -> str:
    """ISO 8601 UTC to the second, e.g. 2026-11-22T10:15:00Z."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item_lines(*, number: int, item: AlertItem) -> list[str]:
    lines = [
        f"{number}. Found {format_utc(item.first_seen)}",
        f"   Page: {_printable_url(item.page_url)}",
    ]
    if item.image_url and item.image_url != item.page_url:
        lines.append(f"   Image: {_printable_url(item.image_url)}")
    lines.append(f"   Request removal: {_printable(item.takedown_url)}")
    return lines


def _sightings_command(label: str) -> str:
    return f"monitor sightings --client {shlex.quote(label)}"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _one_line_label(case_label: str) -> str:
    label = _SPACE_RUNS.sub(" ", _UNPRINTABLE.sub(" ", case_label)).strip()
    if not label:
        return "(unnamed)"
    if len(label) > MAX_CASE_LABEL_CHARS:
        return label[: MAX_CASE_LABEL_CHARS - 1] + "…"
    return label


def _printable(text: str) -> str:
    """Percent-encode characters that would break the line or the layout."""
    return _UNPRINTABLE.sub(lambda found: quote(found.group(), safe=""), text)


def _printable_url(url: str) -> str:
    shown = _printable(url)
    if len(shown) > MAX_SHOWN_URL_CHARS:
        return shown[:MAX_SHOWN_URL_CHARS] + "… (shortened)"
    return shown


@dataclass(frozen=True)
class FollowUpItem:
    """One sighting verified removed, or back after a removal. Times are UTC."""

    page_url: str
    image_url: str
    first_seen: datetime
    changed_at: datetime  # when the removal was verified, or when it was seen back
    takedown_url: str
    sighting_id: int


def render_removed(*, case_label: str, items: Sequence[FollowUpItem]) -> AlertMessage:
    """Matches verified removed: gone at their image URL and their page, two checks in a row."""
    label = _one_line_label(case_label)
    count = len(items)
    noun = "match" if count == 1 else "matches"
    lines = [f"{count} {noun} removed for case {label}, verified by repeated checks.", ""]
    for number, item in enumerate(_ordered(items)[:MAX_LISTED_ITEMS], start=1):
        lines.extend(
            [
                f"{number}. Removed (verified) {format_utc(item.changed_at)}",
                f"   Found {format_utc(item.first_seen)}",
                f"   Page: {_printable_url(item.page_url)}",
            ]
        )
        if item.image_url and item.image_url != item.page_url:
            lines.append(f"   Image: {_printable_url(item.image_url)}")
        lines.append("")
    _add_more_line(lines, hidden=count - MAX_LISTED_ITEMS, label=label)
    lines.append("Checks go on; you will be alerted at once if it comes back.")
    title = f"Monitor: {count} {noun} removed for case {label}"
    return AlertMessage(title=title, body="\n".join(lines))


def render_reappeared(*, case_label: str, items: Sequence[FollowUpItem]) -> AlertMessage:
    """Matches that were verified removed and are served again (or found again elsewhere)."""
    label = _one_line_label(case_label)
    count = len(items)
    if count == 1:
        title = f"Monitor: a removed match is back for case {label}"
    else:
        title = f"Monitor: {count} removed matches are back for case {label}"
    sentence = title.removeprefix("Monitor: ")
    lines = [sentence[0].upper() + sentence[1:] + ".", ""]
    for number, item in enumerate(_ordered(items)[:MAX_LISTED_ITEMS], start=1):
        lines.extend(
            [
                f"{number}. Back since {format_utc(item.changed_at)} (sighting {item.sighting_id})",
                f"   Page: {_printable_url(item.page_url)}",
            ]
        )
        if item.image_url and item.image_url != item.page_url:
            lines.append(f"   Image: {_printable_url(item.image_url)}")
        lines.append(f"   Request removal: {_printable(item.takedown_url)}")
        lines.append("")
    _add_more_line(lines, hidden=count - MAX_LISTED_ITEMS, label=label)
    return AlertMessage(title=title, body="\n".join(lines).rstrip())


def _ordered(items: Sequence[FollowUpItem]) -> list[FollowUpItem]:
    return sorted(items, key=lambda item: (_utc(item.changed_at), item.page_url, item.image_url))


def _add_more_line(lines: list[str], *, hidden: int, label: str) -> None:
    if hidden > 0:
        lines.append(f"and {hidden} more — run `{_sightings_command(label)}`")
    else:
        lines.append(f"All sightings: `{_sightings_command(label)}`")
