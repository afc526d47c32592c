"""The command line: a thin layer over the service and store functions.

`python -m monitor` and the `monitor` console script are the same program.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.logging import RichHandler

from monitor import __version__
from monitor.cli import (
    captures,
    clients,
    db,
    demo,
    enroll,
    export,
    follow_up,
    init,
    sightings,
    sources,
    sweeps,
    takedown,
    users,
    verify,
    web,
    workers,
)
from monitor.cli.context import CommandContext
from monitor.cli.output import fail, stderr
from monitor.config import default_config_path
from monitor.errors import MonitorError

EXIT_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="monitor",
        description="Finds re-uploads of a person's images on the web, keeps the evidence and "
        "alerts with a takedown link.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (
        init,
        clients,
        enroll,
        sweeps,
        sightings,
        follow_up,
        takedown,
        export,
        captures,
        sources,
        demo,
        db,
        workers,
        users,
        web,
        verify,
    ):
        module.add_parsers(commands)
    for subparser in _all_subparsers(commands):
        _add_common(subparser, suppress=True)
    return parser


def _add_common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        default=default,
        help="config file (default: $MONITOR_CONFIG, then ./monitor.toml)",
    )
    parser.add_argument(
        "--json", action="store_true", default=default or False, help="machine-readable output"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default or 0,
        help="more log output (-vv for debug)",
    )


def _all_subparsers(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> list[argparse.ArgumentParser]:
    found = []
    for subparser in dict.fromkeys(commands.choices.values()):  # an alias names one twice
        found.append(subparser)
        for action in subparser._actions:
            if isinstance(action, argparse._SubParsersAction):
                found.extend(_all_subparsers(action))
    return found


def configure_logging(verbosity: int) -> None:
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    logging.basicConfig(
        level=level,
        format="%(message)s",
        datefmt="%Y-%m-%dT%H:%M:%SZ",
        handlers=[RichHandler(console=stderr, show_path=False, markup=False)],
        force=True,
    )
    # Libraries log request URLs with query strings (tokens); keep them quiet unless debugging.
    for noisy in ("httpx", "httpcore", "apscheduler", "apprise", "procrastinate"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity > 2 else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    context = CommandContext(
        config_path=args.config or default_config_path(os.environ), json=bool(args.json)
    )
    try:
        result: int = args.handler(args, context)
        return result
    except MonitorError as error:
        fail(str(error))
        return EXIT_ERROR
    except KeyboardInterrupt:
        stderr.print("interrupted")
        return 130
    finally:
        context.close()


def run() -> None:
    sys.exit(main())
