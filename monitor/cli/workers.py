"""`monitor worker`: take the pipeline's tasks from the PostgreSQL queue (see `monitor.queue`)."""

from __future__ import annotations

import argparse
import asyncio

from monitor.cli.context import CommandContext
from monitor.errors import ConfigError
from monitor.queue import MISSING_EXTRA, NEEDS_POSTGRESQL

DEFAULT_CONCURRENCY = 8


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = commands.add_parser(
        "worker",
        help="PostgreSQL: run the tasks `monitor run` defers (start any number, on any machine)",
    )
    worker.add_argument(
        "--concurrency",
        type=_positive,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"tasks run at once in this process (default {DEFAULT_CONCURRENCY})",
    )
    worker.set_defaults(handler=run)


def run(args: argparse.Namespace, context: CommandContext) -> int:
    settings = context.settings()
    if not settings.storage.url.startswith("postgresql"):
        raise ConfigError(NEEDS_POSTGRESQL)
    try:  # imported here: the task queue needs the `postgres` extra, which SQLite users lack
        from monitor.queue.worker import run_worker
    except ImportError:
        raise ConfigError(MISSING_EXTRA) from None
    asyncio.run(run_worker(settings, concurrency=args.concurrency))
    return 0


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"{value} is out of range; use 1 to 256")
    return value
