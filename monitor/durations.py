"""Durations as people write them in config files: "90s", "30m", "1h", "1h30m", "2d"."""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s)")
_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_HINT = 'use e.g. "90s", "30m", "1h", "1h30m", "2d"'
MAX_SECONDS = 366 * 86400.0


def parse_duration(text: str) -> timedelta:
    """Parse "1h30m"-style text. Raises ValueError with a message that shows valid forms."""
    compact = text.strip().lower().replace(" ", "")
    seconds = 0.0
    position = 0
    for part in _PART.finditer(compact):
        if part.start() != position:
            break
        seconds += float(part.group(1)) * _UNITS[part.group(2)]
        position = part.end()
    if not compact or position != len(compact):
        raise ValueError(f'"{text}" is not a duration; {_HINT}')
    if seconds <= 0:
        raise ValueError(f'"{text}" must be longer than zero')
    if seconds > MAX_SECONDS:
        raise ValueError(f'"{text}" is longer than a year; {_HINT}')
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def _coerce(value: object) -> object:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration; {_HINT}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0 or value > MAX_SECONDS:
            raise ValueError(f"{value!r} seconds is out of range; {_HINT}")
        return timedelta(seconds=value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_coerce), PlainSerializer(format_duration)]
"""A pydantic field type: accepts "30m" (or seconds as a number), holds a timedelta."""
