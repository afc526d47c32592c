"""`monitor client add|list|remove`."""

from __future__ import annotations

import argparse
import re

from rich.table import Table

from monitor.alerts.apprise_notifier import validate_url
from monitor.cli.context import CommandContext
from monitor.cli.output import iso, print_json, stdout
from monitor.config import CLIENT_ID_PATTERN
from monitor.errors import ConfigError
from monitor.store.clients import add_client, count_items, list_clients, remove_client


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    client = commands.add_parser("client", help="add, list or remove clients (people protected)")
    actions = client.add_subparsers(dest="client_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a client")
    add.add_argument("client_id", metavar="ID", help="a pseudonymous case label, e.g. K-17")
    add.add_argument(
        "--notify",
        action="append",
        default=[],
        metavar="APPRISE_URL",
        help="where alerts go (repeatable); for URLs with secrets prefer [[clients]] in the "
        "config with ${ENV_VAR}",
    )
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list clients")
    listing.set_defaults(handler=run_list)
    remove = actions.add_parser("remove", help="remove a client and everything of theirs")
    remove.add_argument("client_id", metavar="ID")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(handler=run_remove)


def run_add(args: argparse.Namespace, context: CommandContext) -> int:
    client_id: str = args.client_id
    if not re.fullmatch(CLIENT_ID_PATTERN, client_id):
        raise ConfigError(
            f"{client_id!r} is not a valid client ID; use 1-63 letters, digits, '.', '_' or '-' "
            "starting with a letter or digit (a case label, not a name)"
        )
    for url in args.notify:
        problem = validate_url(url)
        if problem is not None:
            raise ConfigError(f"--notify: {problem}")
    client = add_client(context.database(), client_id=client_id, notify_urls=args.notify)
    if context.json:
        print_json(
            {
                "id": client.id,
                "created": iso(client.created_at),
                "notify_urls": len(client.notify_urls),
            }
        )
    else:
        stdout.print(f"added client {client.id} with {len(client.notify_urls)} notification URL(s)")
    return 0


def run_list(args: argparse.Namespace, context: CommandContext) -> int:
    db = context.database()
    items = count_items(db)
    clients = list_clients(db)
    rows = [
        {
            "id": client.id,
            "created": iso(client.created_at),
            "items": items.get(client.id, 0),
            "notify_urls": len(client.notify_urls)
            + len(context.settings().notify_urls_for(client.id)),
        }
        for client in clients
    ]
    if context.json:
        print_json(rows)
        return 0
    table = Table("client", "created (UTC)", "enrolled items", "notification URLs")
    for row in rows:
        table.add_row(
            str(row["id"]), str(row["created"]), str(row["items"]), str(row["notify_urls"])
        )
    stdout.print(table)
    return 0


def run_remove(args: argparse.Namespace, context: CommandContext) -> int:
    if not args.yes and not context.confirm(
        f"Remove client {args.client_id} with all fingerprints, sightings and pending alerts?"
    ):
        stdout.print("nothing removed")
        return 1
    removed = remove_client(context.database(), args.client_id)
    if context.json:
        print_json({"id": args.client_id, "removed": removed})
    else:
        parts = ", ".join(f"{count} {label}" for label, count in removed.items())
        stdout.print(f"removed client {args.client_id}: {parts}")
    return 0
