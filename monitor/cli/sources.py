"""`monitor sources`: each configured source's health at a glance.

A source that fails says nothing, which looks just like a web without copies; this command
shows which sources ran, when one last worked, and why one fails.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table
from rich.text import Text

from monitor.cli.context import CommandContext
from monitor.cli.output import iso, print_json, stdout
from monitor.durations import format_duration
from monitor.sources import SourceConfig
from monitor.store.health import SourceHealth, source_health
from monitor.store.source_state import DatabaseSourceState


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sources = commands.add_parser(
        "sources", help="show each source's last run, last success, errors, findings and quota"
    )
    sources.set_defaults(handler=run_sources)


def source_json(
    config: SourceConfig, health: SourceHealth, *, quota_left: Any = None
) -> dict[str, Any]:
    sweep, streak = health.last_sweep, health.streak
    duration = sweep.duration if sweep is not None else None
    return {
        "name": config.name,
        "kind": config.kind,
        "every": format_duration(config.every),
        "last_run": iso(sweep.started_at) if sweep is not None else None,
        "duration_seconds": round(duration.total_seconds(), 3) if duration is not None else None,
        "last_success": iso(streak.last_success),
        "last_error": streak.last_error,
        "failing_since": iso(streak.failing_since),
        "consecutive_failures": streak.consecutive_failures,
        "candidates": sweep.candidates if sweep is not None else None,
        "new_candidates": sweep.new_candidates if sweep is not None else None,
        "sightings": health.sightings,
        "quota_left": quota_left,
    }


def run_sources(args: argparse.Namespace, context: CommandContext) -> int:
    configs = context.settings().sources
    db = context.database()
    state = DatabaseSourceState(db)
    rows = [
        source_json(config, health, quota_left=state.load(config.name).get("quota_left"))
        for config, health in zip(
            configs, source_health(db, sources=[c.name for c in configs]), strict=True
        )
    ]
    if context.json:
        print_json(rows)
        return 0
    if not rows:
        stdout.print(f"no [[sources]] configured in {context.config_path}")
        return 0
    table = Table(
        "source",
        "kind",
        "every",
        "last run (UTC)",
        "took",
        "last success (UTC)",
        "candidates (new)",
        "sightings",
        "quota left",
        "status",
    )
    for row in rows:
        table.add_row(
            row["name"],
            row["kind"],
            row["every"],
            row["last_run"] or Text("never", style="dim"),
            _seconds(row["duration_seconds"]),
            row["last_success"] or Text("never", style="dim"),
            "" if row["candidates"] is None else f"{row['candidates']} ({row['new_candidates']})",
            str(row["sightings"]),
            "" if row["quota_left"] is None else str(row["quota_left"]),
            _status(row),
        )
    stdout.print(table)
    return 0


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}s"


def _status(row: dict[str, Any]) -> Text:
    if row["last_run"] is None:
        return Text("never run", style="dim")
    failures = row["consecutive_failures"]
    if failures == 0:
        return Text("ok", style="green")
    in_a_row = "failed" if failures == 1 else f"failed {failures} sweeps in a row"
    return Text.assemble((in_a_row, "bold red"), f": {row['last_error']}")
