"""What every command gets: the config path, output mode, and lazily opened settings and store."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config import Settings, load_settings
from monitor.errors import InputError
from monitor.store import Database, open_database


@dataclass
class CommandContext:
    config_path: Path
    json: bool
    _settings: Settings | None = field(default=None, init=False)
    _database: Database | None = field(default=None, init=False)

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def database(self) -> Database:
        if self._database is None:
            self._database = open_database(self.settings().storage.url)
        return self._database

    def confirm(self, question: str) -> bool:
        if not sys.stdin.isatty():
            raise InputError(f"{question} Confirmation needed: run again with --yes")
        answer = input(f"{question} [y/N] ")
        return answer.strip().lower() in {"y", "yes"}

    def confirm_by_typing(self, question: str, *, expected: str) -> bool:
        """For what cannot be undone: the user types `expected` back, not just "y"."""
        if not sys.stdin.isatty():
            raise InputError(f"{question} Confirmation needed: run again with --yes")
        answer = input(f"{question} Type {expected} to confirm: ")
        return answer.strip() == expected

    def close(self) -> None:
        if self._database is not None:
            self._database.dispose()
