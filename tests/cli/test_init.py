"""`monitor init`: a private starter config and database, never overwriting a config by accident."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from monitor.cli.init import starter_config
from monitor.config import Settings, load_settings
from tests.conftest import ROOT, Cli

STARTER = ROOT / "monitor" / "data" / "starter.toml"
EXAMPLE = ROOT / "configs" / "example.toml"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_private_database(folder: Path, name: str = "monitor.db") -> None:
    files = sorted(folder.glob(f"{name}*"))  # the database and its -wal/-shm files if present
    assert folder / name in files
    for path in files:
        assert _mode(path) == 0o600, f"{path.name} has mode {oct(_mode(path))}"


def test_init_writes_a_private_config_and_database_and_keeps_an_edited_config(cli: Cli) -> None:
    first = cli("init")
    config = cli.cwd / "monitor.toml"
    assert config.read_text(encoding="utf-8") == starter_config()
    assert _mode(config) == 0o600
    _assert_private_database(cli.cwd)
    assert "monitor client add" in first.stdout  # says what to do next
    settings = load_settings(config)
    assert settings.storage.url == f"sqlite:///{cli.cwd.resolve() / 'monitor.db'}"

    edited = starter_config().replace('retry_max = "1h"', 'retry_max = "2h"')
    config.write_text(edited, encoding="utf-8")
    again = cli("init")
    assert config.read_text(encoding="utf-8") == edited, "init overwrote an existing config"
    assert "--force" in again.stdout
    assert load_settings(config).alerts.retry_max.total_seconds() == 7200

    cli("init", "--force")
    assert config.read_text(encoding="utf-8") == starter_config()
    assert _mode(config) == 0o600
    _assert_private_database(cli.cwd)


def test_init_force_makes_an_existing_world_readable_config_private(cli: Cli) -> None:
    config = cli.cwd / "monitor.toml"
    config.write_text("# someone else's file\n", encoding="utf-8")
    config.chmod(0o644)
    cli("init", "--force")
    assert config.read_text(encoding="utf-8") == starter_config()
    assert _mode(config) == 0o600


def test_init_puts_the_database_next_to_a_config_named_by_monitor_config(cli: Cli) -> None:
    cli.env["MONITOR_CONFIG"] = "case-files/monitor.toml"
    cli("init")
    folder = cli.cwd / "case-files"
    assert _mode(folder / "monitor.toml") == 0o600
    _assert_private_database(folder)
    assert not (cli.cwd / "monitor.db").exists(), "the database went to the working folder"


def test_example_config_is_the_starter_config() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == STARTER.read_text(encoding="utf-8")
    assert STARTER.read_text(encoding="utf-8") == starter_config()


def test_starter_config_loads_and_shows_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(EXAMPLE, environ={})
    defaults = Settings()
    # Paths in the config are relative to the config file.
    relative = {"storage": True, "captures": {"directory"}}
    shown = settings.model_dump(exclude=relative)
    assert shown == defaults.model_dump(exclude=relative)
    assert settings.storage.url == f"sqlite:///{EXAMPLE.parent.resolve() / 'monitor.db'}"
    assert settings.captures.directory == EXAMPLE.parent.resolve() / "captures"
    assert not settings.sources, "the starter must not watch anything until the user says so"


def test_starter_config_mentions_every_setting() -> None:
    text = STARTER.read_text(encoding="utf-8")
    missing = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        for key in getattr(model, "model_fields", {}):
            written = re.search(rf"^#?\s*{key}\s*=", text, re.MULTILINE)
            if not written and f"[[{section}.{key}]]" not in text:
                missing.append(f"{section}.{key}")
    assert not missing, f"not in the starter config: {missing}"
