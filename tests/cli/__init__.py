"""Tests of the command line as a user sees it: `python -m monitor` in a subprocess.

Small helpers the CLI tests share: a loopback config in the working folder, the database it
names (opened in the test process to set up or check state), and the shape of a clean error.
"""

from __future__ import annotations

from pathlib import Path

from monitor.config import load_settings
from monitor.store import Database, open_database
from tests.conftest import Cli, CliResult, loopback_config

EXIT_ERROR = 2


def write_config(
    cli: Cli,
    *,
    sources: str = "",
    clients: str = "",
    extra: str = "",
    storage_url: str | None = None,
) -> Path:
    """`monitor.toml` in the CLI's working folder, with its database at `storage_url`, by
    default the SQLite file `monitor.db` next to it."""
    config = cli.cwd / "monitor.toml"
    if storage_url is None:
        storage_url = f"sqlite:///{cli.cwd / 'monitor.db'}"
    config.write_text(
        loopback_config(storage_url=storage_url, sources=sources, clients=clients, extra=extra),
        encoding="utf-8",
    )
    return config


def database(cli: Cli) -> Database:
    """The database the config in the CLI's working folder names, opened in the test process."""
    settings = load_settings(cli.cwd / "monitor.toml", environ=cli.env)
    return open_database(settings.storage.url)


def assert_clean_error(result: CliResult, *, code: int = EXIT_ERROR) -> str:
    """The command failed the way users should see failures: one message, no traceback."""
    assert result.code == code, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    assert result.stderr.startswith("error: "), result.stderr
    return result.stderr.removeprefix("error: ").strip()
