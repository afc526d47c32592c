"""`monitor sightings` and `monitor notify-test`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from monitor.alerts.apprise_notifier import AppriseNotifier
from monitor.alerts.render import render_test_message
from monitor.cli.context import CommandContext
from monitor.cli.output import iso, print_json, stdout
from monitor.errors import NotifyError
from monitor.store.clients import get_client
from monitor.store.follow_up import list_checks
from monitor.store.records import Sighting
from monitor.store.review import change_status, get_sighting, status_history
from monitor.store.sightings import list_sightings


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sightings = commands.add_parser(
        "sightings", help="list sightings (the evidence), show one, record a review"
    )
    sightings.add_argument("--client", metavar="ID", help="only this client's")
    sightings.set_defaults(handler=run_sightings)
    actions = sightings.add_subparsers(dest="sightings_action", metavar="ACTION")
    show = actions.add_parser("show", help="one sighting with its full history")
    show.add_argument("sighting_id", type=int, metavar="ID")
    show.set_defaults(handler=run_show)
    for name, (status, text) in REVIEW_ACTIONS.items():
        action = actions.add_parser(name, help=text)
        action.add_argument("sighting_ids", type=int, nargs="+", metavar="ID")
        action.add_argument("--note", help="why (kept in the history)")
        if status == "reported":
            action.add_argument(
                "--to",
                dest="reported_to",
                required=True,
                metavar="WHERE",
                help="to whom or where, e.g. the platform's NCII form",
            )
            action.add_argument("--route", help="by which route, e.g. ncii-form, email, dmca")
        action.set_defaults(handler=run_review, to_status=status)
    test = commands.add_parser("notify-test", help="send a harmless test alert to a client")
    test.add_argument("--client", required=True, metavar="ID")
    test.set_defaults(handler=run_notify_test)


REVIEW_ACTIONS = {
    "confirm": (
        "confirmed",
        "confirm sightings as real re-uploads (reverse searches start from them)",
    ),
    "dismiss": (
        "dismissed",
        "dismiss sightings as false positives: that image (same bytes or a near copy) is not "
        "reported for that client again",
    ),
    "reported": ("reported", "record that sightings were reported for removal"),
}


def run_review(args: argparse.Namespace, context: CommandContext) -> int:
    db = context.database()
    changed = [
        change_status(
            db,
            sighting_id=sighting_id,
            to_status=args.to_status,
            at=datetime.now(UTC),
            note=args.note,
            reported_to=getattr(args, "reported_to", None),
            route=getattr(args, "route", None),
        )
        for sighting_id in args.sighting_ids
    ]
    if context.json:
        print_json([sighting_json(sighting) for sighting in changed])
    else:
        for sighting in changed:
            stdout.print(f"sighting {sighting.id}: {sighting.status}")
    return 0


def run_show(args: argparse.Namespace, context: CommandContext) -> int:
    db = context.database()
    sighting = get_sighting(db, args.sighting_id)
    history = [
        {
            "at": iso(change.at),
            "from": change.from_status,
            "to": change.to_status,
            "note": change.note,
            "reported_to": change.reported_to,
            "route": change.route,
        }
        for change in status_history(db, sighting.id)
    ]
    checks = [
        {
            "at": iso(check.checked_at),
            "outcome": check.outcome,
            "image_status": check.image_status,
            "page_status": check.page_status,
            "detail": check.detail,
        }
        for check in list_checks(db, sighting_id=sighting.id)
    ]
    if context.json:
        print_json({**sighting_json(sighting), "history": history, "checks": checks})
        return 0
    for key, value in sighting_json(sighting).items():
        stdout.print(f"{key:>13}: {value}")
    stdout.print(f"{'history':>13}: {iso(sighting.first_seen)} found (new)")
    for step in history:
        details = ", ".join(
            f"{label} {step[key]}"
            for label, key in (("to", "reported_to"), ("via", "route"))
            if step[key]
        )
        note = f" ({step['note']})" if step["note"] else ""
        stdout.print(f"{'':>15}{step['at']} {step['to']}{' ' + details if details else ''}{note}")
    for number, check in enumerate(checks):
        label = "re-checks" if number == 0 else ""
        colon = ":" if label else " "
        stdout.print(f"{label:>13}{colon} {check['at']} {check['outcome']} ({check['detail']})")
    return 0


def sighting_json(sighting: Sighting) -> dict[str, Any]:
    return {
        "id": sighting.id,
        "client": sighting.client_id,
        "item": sighting.item_id,
        "image_url": sighting.image_url,
        "page_url": sighting.page_url,
        "final_url": sighting.final_url,
        "source": sighting.source,
        "first_seen": iso(sighting.first_seen),
        "last_seen": iso(sighting.last_seen),
        "times_seen": sighting.times_seen,
        "distance": sighting.distance,
        "algorithm": sighting.algorithm,
        "sha256": sighting.sha256,
        "http_status": sighting.http_status,
        "headers": sighting.headers,
        "status": sighting.status,
        "takedown_url": sighting.takedown_url,
    }


def run_sightings(args: argparse.Namespace, context: CommandContext) -> int:
    db = context.database()
    if args.client is not None:
        get_client(db, args.client)
    sightings = list_sightings(db, client_id=args.client)
    if context.json:
        print_json([sighting_json(sighting) for sighting in sightings])
        return 0
    table = Table("id", "client", "item", "first seen (UTC)", "seen", "page", "match", "status")
    for sighting in sightings:
        table.add_row(
            str(sighting.id),
            sighting.client_id,
            str(sighting.item_id),
            iso(sighting.first_seen),
            str(sighting.times_seen),
            sighting.page_url,
            f"{sighting.algorithm} {sighting.distance}",
            sighting.status,
        )
    stdout.print(table)
    stdout.print(f"{len(sightings)} sighting(s); details and takedown links with --json")
    return 0


def run_notify_test(args: argparse.Namespace, context: CommandContext) -> int:
    client = get_client(context.database(), args.client)
    urls = list(
        dict.fromkeys([*client.notify_urls, *context.settings().notify_urls_for(client.id)])
    )
    if not urls:
        raise NotifyError(
            f"client {client.id} has no notification URL; add one with [[clients]] notify in "
            f"{context.config_path} or `monitor client add {client.id} --notify URL`"
        )
    results = AppriseNotifier().send(urls=urls, message=render_test_message(case_label=client.id))
    if context.json:
        print_json([{"target": r.target, "ok": r.ok, "error": r.error} for r in results])
    else:
        for result in results:
            verdict = ("delivered", "green") if result.ok else (f"failed: {result.error}", "red")
            stdout.print(Text.assemble(f"{result.target}: ", verdict))
    return 0 if all(result.ok for result in results) else 1
