"""`monitor init`: a commented starter config and an empty database."""

from __future__ import annotations

import argparse
from importlib.resources import files

from monitor.cli.context import CommandContext
from monitor.cli.output import stdout, write_private_file
from monitor.errors import InputError
from monitor.store.database import redacted_url


def starter_config() -> str:
    return files("monitor").joinpath("data/starter.toml").read_text(encoding="utf-8")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    init = commands.add_parser("init", help="write a starter config and create the database")
    init.add_argument("--force", action="store_true", help="overwrite an existing config file")
    init.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace, context: CommandContext) -> int:
    path = context.config_path
    if path.exists() and not args.force:
        stdout.print(f"{path} exists already; keeping it (use --force to overwrite)")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_private_file(path, starter_config())
        except OSError as error:
            raise InputError(f"cannot write {path}: {error.strerror}") from None
        stdout.print(f"wrote the starter config to {path}; edit it to add sources")
    database = context.database()
    stdout.print(f"database ready at {redacted_url(database.url)}")
    stdout.print("next: `monitor client add ID`, then `monitor enroll --client ID PATH...`")
    return 0
