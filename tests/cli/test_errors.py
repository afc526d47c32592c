"""The program as a whole: help, version, the options every command takes, and how errors look.

A user's mistake ends in one line starting with "error:" that says what to do, exit code 2, and
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor import __version__
from monitor.cli import build_parser
from monitor.fingerprint.hashes import Hash
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.sightings import record_sighting
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import ROOT, Cli

EVERY_COMMAND = (
    ["init"],
    ["client", "add", "K-1"],
    ["client", "list"],
    ["client", "erase", "K-1"],
    ["client", "remove", "K-1"],
    ["enroll", "--client", "K-1", "picture.jpg"],
    ["hash", "picture.jpg"],
    ["scan"],
    ["run"],
    ["worker"],
    ["sightings"],
    ["verify", "--client", "K-1"],
    ["recheck", "--client", "K-1"],
    ["stats", "--client", "K-1"],
    ["takedown", "1"],
    ["export", "--client", "K-1", "--out", "log.pdf"],
    ["capture"],
    ["evidence", "decrypt", "c.age", "--identity", "key.txt"],
    ["sources"],
    ["notify-test", "--client", "K-1"],
    ["demo"],
    ["db", "upgrade"],
    ["user", "list"],
    ["web", "--port", "8081"],
)


def test_help_lists_every_command(cli: Cli) -> None:
    result = cli("--help")
    for command in ("init", "client", "enroll", "hash", "scan", "run", "sightings", "notify-test"):
        assert command in result.stdout
    assert "--config" in result.stdout
    assert "--json" in result.stdout


def test_the_console_script_prints_the_version(cli: Cli) -> None:
    """`monitor --version` through the entry point pyproject.toml declares for `monitor`."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    module, _, function = pyproject["project"]["scripts"]["monitor"].partition(":")
    script = (
        f"import sys; sys.argv = ['monitor', '--version']; "
        f"from {module} import {function}; {function}()"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cli.cwd,
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"monitor {__version__}"


def test_every_command_takes_the_common_options_after_its_name() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) == {argv[0] for argv in EVERY_COMMAND}, "a command is missing"
    for argv in EVERY_COMMAND:
        args = parser.parse_args([*argv, "--json", "--config", "case.toml", "-vv"])
        assert (args.json, args.config, args.verbose) == (True, Path("case.toml"), 2), argv
        before = parser.parse_args(["--json", "--config", "case.toml", *argv])
        assert (before.json, before.config) == (True, Path("case.toml")), argv
        plain = parser.parse_args(argv)
        assert (plain.json, plain.config, plain.verbose) == (False, None, 0), argv


def test_sightings_json_on_an_empty_database_and_for_an_unknown_client(
    cli: Cli, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_config(cli).rename(elsewhere / "case.toml")
    result = cli("sightings", "--json", "--config", str(elsewhere / "case.toml"))
    assert json.loads(result.stdout) == []

    unknown = cli(
        "sightings",
        "--client",
        "K-99",
        "--json",
        "--config",
        str(elsewhere / "case.toml"),
        check=False,
    )
    message = assert_clean_error(unknown)
    assert "'K-99'" in message
    assert "monitor client list" in message
    assert unknown.stdout == ""


BAD_CONFIGS = {
    "missing": (None, ["no config file at monitor.toml", "monitor init"]),
    "bad-duration": (
        '[[sources]]\nname = "a"\nkind = "feed"\nurl = "https://example.org/feed"\n\n'
        '[[sources]]\nname = "b"\nkind = "pages"\nurls = ["https://example.org/"]\n'
        'every = "5 mins"\n',
        ["sources[1].every", '"5 mins" is not a duration', 'use e.g. "', '"30m"'],
    ),
}


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_config_errors_are_one_clear_message_through_the_cli(cli: Cli, case: str) -> None:
    text, expected = BAD_CONFIGS[case]
    if text is not None:
        (cli.cwd / "monitor.toml").write_text(text, encoding="utf-8")
    message = assert_clean_error(cli("sightings", "--json", check=False))
    for part in expected:
        assert part in message
    assert "pydantic" not in message
    assert "validation error" not in message


def test_an_error_about_a_path_with_brackets_is_printed_as_is(cli: Cli) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    db.dispose()
    path = "pictures/[/old]/beach.jpg"
    message = assert_clean_error(cli("enroll", "--client", "K-17", path, check=False))
    assert path in message


def test_sightings_table_prints_hostile_urls_as_they_are(cli: Cli) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    item = enroll_item(
        db, client_id="K-17", hashes=[Hash("pdq", "a" * 64)], sha256=None, origin="import"
    )
    page_url = "https://forum.example/t/[/b]/[b]42"
    record_sighting(
        db,
        observation=Observation(
            client_id="K-17",
            item_id=item.item_id,
            image_url="https://forum.example/i/1.jpg",
            page_url=page_url,
            final_url="https://forum.example/i/1.jpg",
            source="board",
            seen_at=datetime.now(UTC),
            distance=2,
            algorithm="pdq",
            sha256="cd" * 32,
            http_status=200,
        ),
        takedown_url="mailto:abuse@forum.example",
    )
    db.dispose()
    result = cli("sightings", check=False)
    assert result.code == 0, result.stderr
    assert page_url in result.stdout
