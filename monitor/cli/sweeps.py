"""`monitor scan` (one sweep now) and `monitor run` (the daemon)."""

from __future__ import annotations

import argparse
import asyncio

from rich.table import Table

from monitor.cli.context import CommandContext
from monitor.cli.output import iso, print_json, stdout
from monitor.errors import ConfigError
from monitor.scheduler import Daemon
from monitor.service import ScanReport, running_monitor


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = commands.add_parser("scan", help="sweep every source (or one) now, deliver alerts, exit")
    scan.add_argument("--source", metavar="NAME", help="sweep only this source")
    scan.set_defaults(handler=run_scan)
    run = commands.add_parser("run", help="run as a daemon: sweep each source at its interval")
    run.add_argument(
        "--in-process",
        action="store_true",
        help="PostgreSQL: sweep in this process instead of deferring to `monitor worker`s",
    )
    run.set_defaults(handler=run_daemon)


def run_scan(args: argparse.Namespace, context: CommandContext) -> int:
    settings = context.settings()
    if args.source is not None:
        settings.source_named(args.source)
    elif not settings.sources:
        raise ConfigError(
            f"{context.config_path}: no [[sources]] configured; add a feed or pages source "
            "(see configs/example.toml)"
        )

    async def scan() -> ScanReport:
        async with running_monitor(settings) as monitor:
            return await monitor.scan(only=args.source)

    report = asyncio.run(scan())
    _print_report(report, context)
    return 0


def run_daemon(args: argparse.Namespace, context: CommandContext) -> int:
    settings = context.settings()
    if not settings.sources:
        raise ConfigError(
            f"{context.config_path}: no [[sources]] configured; the daemon would have nothing to do"
        )

    if not args.in_process and settings.storage.url.startswith("postgresql"):
        # Imported here: the task queue needs the `postgres` extra, which SQLite users lack.
        from monitor.queue.app import work_is_queued
        from monitor.queue.scheduler import QueueScheduler

        if work_is_queued(settings.storage.url):
            asyncio.run(QueueScheduler(settings).run())
            return 0

    async def run() -> None:
        async with running_monitor(settings) as monitor:
            await Daemon(monitor).run()

    asyncio.run(run())
    return 0


def _print_report(report: ScanReport, context: CommandContext) -> None:
    if context.json:
        print_json(
            {
                "sweeps": [
                    {
                        "source": sweep.source,
                        "started": iso(sweep.started_at),
                        "finished": iso(sweep.finished_at),
                        "candidates": sweep.candidates,
                        "pages": sweep.pages,
                        "images": sweep.images,
                        "new_sightings": sweep.new_sightings,
                        "failures": sweep.failures,
                        "error": sweep.error,
                    }
                    for sweep in report.sweeps
                ],
                "alerts": {
                    "messages_sent": report.delivery.messages_sent,
                    "sightings_delivered": report.delivery.sightings_delivered,
                    "sightings_pending": report.delivery.sightings_pending,
                },
            }
        )
        return
    table = Table("source", "pages", "images", "new sightings", "failed candidates", "source error")
    for sweep in report.sweeps:
        table.add_row(
            sweep.source,
            str(sweep.pages),
            str(sweep.images),
            str(sweep.new_sightings),
            str(sweep.failures),
            sweep.error or "",
        )
    stdout.print(table)
    delivery = report.delivery
    stdout.print(
        f"alerts: {delivery.messages_sent} message(s) sent for {delivery.sightings_delivered} "
        f"sighting(s); {delivery.sightings_pending} waiting for retry"
    )
