"""`monitor recheck` (due re-checks now) and `monitor stats` (removal figures per site)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from typing import Any

from rich.table import Table

from monitor.cli.context import CommandContext
from monitor.cli.output import print_json, stdout
from monitor.follow_up.runner import RecheckReport
from monitor.follow_up.stats import SiteStats, compute_stats
from monitor.service import running_monitor
from monitor.store.clients import get_client
from monitor.store.follow_up_stats import load_histories


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    recheck = commands.add_parser(
        "recheck",
        help="re-check confirmed and reported sightings that are due now, alert removals",
    )
    recheck.add_argument("--client", metavar="ID", help="only this client's sightings")
    recheck.set_defaults(handler=run_recheck)
    stats = commands.add_parser(
        "stats", help="sightings found, reported and removed, and time to removal, per site"
    )
    stats.add_argument("--client", metavar="ID", help="only this client's sightings")
    stats.set_defaults(handler=run_stats)


def run_recheck(args: argparse.Namespace, context: CommandContext) -> int:
    settings = context.settings()
    if args.client is not None:
        get_client(context.database(), args.client)

    async def recheck() -> tuple[RecheckReport, int]:
        async with running_monitor(settings) as monitor:
            report = await monitor.follow_up.run_due(client_id=args.client)
            delivery = await monitor.follow_up_alerts.deliver_due()
            return report, delivery.messages_sent

    report, messages = asyncio.run(recheck())
    if context.json:
        print_json(
            {
                "checked": report.checked,
                "present": report.present,
                "absent": report.absent,
                "inconclusive": report.inconclusive,
                "failed": report.failed,
                "removed": list(report.removed),
                "reappeared": list(report.reappeared),
                "alerts_sent": messages,
            }
        )
        return 0
    stdout.print(
        f"{report.checked} sighting(s) checked: {report.present} still up, {report.absent} gone, "
        f"{report.inconclusive} inconclusive"
        + (f", {report.failed} failed (see the log)" if report.failed else "")
    )
    for sighting_id in report.removed:
        stdout.print(f"sighting {sighting_id}: removed (verified)")
    for sighting_id in report.reappeared:
        stdout.print(f"sighting {sighting_id}: back after removal")
    if messages:
        stdout.print(f"{messages} alert message(s) sent")
    return 0


def run_stats(args: argparse.Namespace, context: CommandContext) -> int:
    db = context.database()
    if args.client is not None:
        get_client(db, args.client)
    report = compute_stats(load_histories(db, client_id=args.client))
    if context.json:
        print_json(
            {
                "client": args.client,
                "sites": [_stats_json(site) for site in report.sites],
                "total": _stats_json(report.total),
            }
        )
        return 0
    table = Table(
        "site",
        "found",
        "reported",
        "removed",
        "back",
        "removal rate",
        "median report→removal",
        title=f"Sightings of client {args.client}" if args.client else "Sightings, all clients",
    )
    for site in report.sites:
        table.add_row(*_stats_cells(site))
    table.add_section()
    table.add_row(*_stats_cells(report.total), style="bold")
    stdout.print(table)
    stdout.print(
        "removal rate: of the reported sightings, the share verified removed now; "
        "median from the first report to the verified removal"
    )
    return 0


def _stats_json(stats: SiteStats) -> dict[str, Any]:
    median = stats.median_report_to_removal
    return {
        "site": stats.site,
        "found": stats.found,
        "reported": stats.reported,
        "removed": stats.removed,
        "back": stats.back,
        "removed_after_report": stats.removed_after_report,
        "removal_rate": stats.removal_rate,
        "median_report_to_removal_seconds": None if median is None else median.total_seconds(),
    }


def _stats_cells(stats: SiteStats) -> list[str]:
    rate = stats.removal_rate
    median = stats.median_report_to_removal
    return [
        stats.site,
        str(stats.found),
        str(stats.reported),
        str(stats.removed),
        str(stats.back),
        "-" if rate is None else f"{rate:.0%}",
        "-" if median is None else human_duration(median),
    ]


def human_duration(value: timedelta) -> str:
    """ "3d 4h", "5h 12m", "40m", "12s": the two largest units."""
    seconds = int(value.total_seconds())
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2])
