"""`monitor verify`: re-compute each client's evidence log chain and say where it breaks."""

from __future__ import annotations

import argparse
import re
from typing import Any

from rich.text import Text

from monitor.cli.context import CommandContext
from monitor.cli.output import print_json, stdout
from monitor.errors import InputError
from monitor.store.evidence import ChainReport, verify_evidence

EXIT_BROKEN = 1
_SHA256 = re.compile(r"[0-9a-f]{64}")


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = commands.add_parser(
        "verify",
        help="check that the evidence log is intact (no entry changed, removed or re-ordered)",
    )
    verify.add_argument("--client", metavar="ID", help="only this client's log")
    verify.add_argument(
        "--head",
        metavar="SHA256",
        help="a head hash this client's log had before (from an earlier verify or report): "
        "it must still be in the chain, so entries removed from the end are caught too",
    )
    verify.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace, context: CommandContext) -> int:
    if args.head is not None and args.client is None:
        raise InputError("--head belongs to one client's log: add --client ID")
    if args.head is not None and not _SHA256.fullmatch(args.head):
        raise InputError(f"--head {args.head!r} is not a SHA-256 (64 lowercase hex characters)")
    reports = verify_evidence(context.database(), client_id=args.client, earlier_head=args.head)
    if context.json:
        print_json([report_json(report) for report in reports])
    else:
        for report in reports:
            stdout.print(_describe(report))
        if not reports:
            stdout.print("no clients, so no evidence log to verify")
    return 0 if all(report.intact for report in reports) else EXIT_BROKEN


def report_json(report: ChainReport) -> dict[str, Any]:
    problem = report.problem
    return {
        "client": report.client_id,
        "intact": report.intact,
        "entries": report.entries,
        "head_sha256": report.head_sha256,
        "problem": None
        if problem is None
        else {
            "seq": problem.seq,
            "entry_id": problem.entry_id,
            "kind": problem.kind,
            "detail": problem.detail,
        },
    }


def _describe(report: ChainReport) -> Text:
    problem = report.problem
    if problem is None:
        return Text.assemble(
            f"{report.client_id}: ",
            ("intact", "green"),
            f", {report.entries} entries, head {report.head_sha256}",
        )
    if problem.entry_id is None:  # nothing wrong with any entry: the log ends too early
        where, holding = f"after seq {problem.seq - 1}", report.entries
    else:
        where, holding = f"at seq {problem.seq} (entry id {problem.entry_id})", report.entries - 1
    return Text.assemble(
        f"{report.client_id}: ",
        ("BROKEN", "bold red"),
        f" {where}: {problem.kind}: {problem.detail}; the {holding} entries before it hold, "
        f"up to head {report.head_sha256}",
    )
