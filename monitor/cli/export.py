"""`monitor export`: one client's incident log as HTML, PDF, CSV or JSON."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

from monitor.cli.context import CommandContext
from monitor.cli.output import print_json, stdout
from monitor.errors import InputError
from monitor.report.incident import IncidentLog, collect_incident_log
from monitor.report.tabular import to_csv, to_json

FORMATS = ("html", "pdf", "csv", "json")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export",
        help="write a client's incident log (no images) as html, pdf, csv or json",
    )
    export.add_argument("--client", required=True, metavar="ID")
    export.add_argument("--format", choices=FORMATS, help="default: from the --out suffix")
    export.add_argument("--out", type=Path, required=True, metavar="FILE")
    export.set_defaults(handler=run_export)


def run_export(args: argparse.Namespace, context: CommandContext) -> int:
    output_format = args.format or args.out.suffix.removeprefix(".").lower()
    if output_format not in FORMATS:
        raise InputError(f"cannot tell the format of {args.out}; add --format {'|'.join(FORMATS)}")
    log = collect_incident_log(context.database(), client_id=args.client, now=datetime.now(UTC))
    content = render(log_format=output_format, log=log)
    write_private_bytes(args.out, content)
    if context.json:
        print_json(
            {
                "client": args.client,
                "format": output_format,
                "out": str(args.out),
                "bytes": len(content),
                "sightings": len(log.sightings),
                "evidence_log_intact": log.chain.intact,
                "head_sha256": log.chain.head_sha256,
            }
        )
    else:
        state = "intact" if log.chain.intact else "BROKEN (see the report's last section)"
        stdout.print(
            f"wrote {args.out} ({output_format}, {len(log.sightings)} sightings); "
            f"evidence log {state}, head {log.chain.head_sha256}"
        )
    return 0


def render(*, log_format: str, log: IncidentLog) -> bytes:
    if log_format == "csv":
        return to_csv(log).encode("utf-8")
    if log_format == "json":
        return to_json(log).encode("utf-8")
    from monitor.report.html import render_html  # matplotlib and jinja2 load only when needed

    html = render_html(log)
    if log_format == "html":
        return html.encode("utf-8")
    from monitor.report.pdf import render_pdf

    return render_pdf(html)


def write_private_bytes(path: Path, content: bytes) -> None:
    """The log names the case and where its images are: readable by the owner only."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
