"""`monitor takedown ID`: the ready-to-send removal request for one sighting, by route."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from rich.text import Text

from monitor.alerts.takedown import TakedownRegistry
from monitor.cli.context import CommandContext
from monitor.cli.output import iso, print_json, stderr, stdout
from monitor.errors import InputError
from monitor.store.review import get_sighting
from monitor.store.takedowns import record_takedown
from monitor.takedown.render import (
    TakedownRequest,
    builtin_template_names,
    prepare_request,
    template_source,
)
from monitor.takedown.routes import ROUTES, Delivery, default_route


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    takedown = commands.add_parser(
        "takedown",
        help="print the removal request for a sighting and record that it was prepared",
        description="Routes: "
        + "; ".join(f"{name}: {route.title}" for name, route in ROUTES.items())
        + ". Default: the site's own report where it has one, else the abuse email.",
    )
    takedown.add_argument("sighting_id", type=int, nargs="?", metavar="ID")
    takedown.add_argument("--route", choices=list(ROUTES), help="which route (default: best)")
    takedown.add_argument(
        "--list-routes", action="store_true", help="list the routes for this sighting"
    )
    takedown.add_argument(
        "--write-templates",
        type=Path,
        metavar="DIR",
        help="copy the built-in templates into DIR to edit them (then set [takedown] templates)",
    )
    takedown.set_defaults(handler=run_takedown)


def run_takedown(args: argparse.Namespace, context: CommandContext) -> int:
    if args.write_templates is not None:
        return _write_templates(args.write_templates, context)
    if args.sighting_id is None:
        raise InputError("give a sighting ID (see `monitor sightings`), or --write-templates DIR")
    settings = context.settings()
    registry = TakedownRegistry(settings.alerts.takedown)
    sighting = get_sighting(context.database(), args.sighting_id)
    if args.list_routes:
        return _list_routes(context, default=default_route(sighting, registry))
    route = args.route or default_route(sighting, registry)
    request = prepare_request(
        sighting=sighting,
        route=route,
        registry=registry,
        requester=settings.requester_for(sighting.client_id, route),
        templates_dir=settings.takedown.templates,
        now=datetime.now(UTC),
    )
    prepared = record_takedown(
        context.database(),
        sighting_id=sighting.id,
        prepared_at=datetime.now(UTC),
        route=request.route,
        recipient=request.destination.address,
        subject=request.subject,
        body=request.body,
    )
    if context.json:
        print_json(
            {
                "takedown_id": prepared.id,
                "sighting_id": sighting.id,
                "route": request.route,
                "title": request.title,
                "delivery": request.destination.delivery.value,
                "send_to": request.destination.address,
                "via": request.destination.via,
                "subject": request.subject,
                "body": request.body,
                "body_sha256": prepared.body_sha256,
                "prepared_at": iso(prepared.prepared_at),
                "warning": request.warning,
            }
        )
        return 0
    _print_request(request)
    return 0


def _print_request(request: TakedownRequest) -> None:
    if request.warning:
        stderr.print(Text.assemble(("warning:", "bold yellow"), " ", request.warning))
    destination = request.destination
    how = "Paste into the form at" if destination.delivery is Delivery.FORM else "Email to"
    address = destination.address or "(no address known: find the site's contact page)"
    stdout.print(Text.assemble(("Route: ", "bold"), f"{request.route} ({destination.via})"))
    stdout.print(Text.assemble((f"{how}: ", "bold"), address))
    stdout.print(Text.assemble(("Subject: ", "bold"), request.subject))
    stdout.print()
    stdout.print(request.body, end="")
    stderr.print(
        f"recorded as prepared; once sent: monitor sightings reported {request.sighting_id} "
        f'--to "{address}" --route {request.route}'
    )


def _list_routes(context: CommandContext, *, default: str) -> int:
    if context.json:
        print_json(
            [
                {"route": name, "title": route.title, "default": name == default}
                for name, route in ROUTES.items()
            ]
        )
        return 0
    for name, route in ROUTES.items():
        marker = " (default)" if name == default else ""
        stdout.print(f"{name}{marker}: {route.title}")
    return 0


def _write_templates(folder: Path, context: CommandContext) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name in builtin_template_names():
        target = folder / file_name
        if target.exists():
            raise InputError(f"{target} exists; choose an empty folder so no edit is overwritten")
        route = file_name.removesuffix(".txt")
        target.write_text(template_source(route, None)[1], encoding="utf-8")
        written.append(str(target))
    guide = resources.files("monitor.takedown") / "templates" / "README.md"
    (folder / "README.md").write_text(guide.read_text(encoding="utf-8"), encoding="utf-8")
    if context.json:
        print_json({"written": written})
    else:
        stdout.print(f"wrote {len(written)} templates to {folder}; then in the config:")
        stdout.print(f'[takedown]\ntemplates = "{folder.resolve()}"')
    return 0
