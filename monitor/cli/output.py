"""How commands talk to the terminal: rich for people, JSON for scripts, errors on stderr."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

# Markup is off: URLs, paths and error text come from users and the web, and "[/x]" in them
# must print as it is. Styled text is built with rich.text.Text instead.
stdout = Console(highlight=False, soft_wrap=True, markup=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, to the second: how every time is printed."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_json_line(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(message: str) -> None:
    stderr.print(Text.assemble(("error:", "bold red"), " ", message))


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path` readable by the owner only, also when the file existed before."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
