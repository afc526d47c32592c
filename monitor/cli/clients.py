"""`monitor client add|list|erase` (`remove` is another name for `erase`)."""

from __future__ import annotations

import argparse
import re

from rich.table import Table

from monitor.alerts.apprise_notifier import validate_url
from monitor.cli.context import CommandContext
from monitor.cli.output import iso, print_json, stdout
from monitor.config import Settings
from monitor.errors import ConfigError
from monitor.sources.fields import CLIENT_ID_PATTERN
from monitor.store.clients import add_client, count_items, get_client, list_clients
from monitor.store.erase import erase_client, erase_client_files


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    client = commands.add_parser("client", help="add, list or erase clients (people protected)")
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
    erase = actions.add_parser(
        "erase",
        aliases=["remove"],
        help="erase a client and everything of theirs, for good (the right to be forgotten)",
    )
    erase.add_argument("client_id", metavar="ID")
    erase.add_argument(
        "--yes", action="store_true", help="do not ask to type the ID back (for scripts)"
    )
    erase.set_defaults(handler=run_erase)


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


# How each table's rows are counted to a person; a table missing here shows by its own name.
ERASED_KINDS = {
    "item": "enrolled items",
    "item_hash": "fingerprints",
    "sighting": "sightings",
    "sighting_event": "review events",
    "outbox": "alerts",
    "evidence_entry": "evidence log entries",
    "capture": "captures",
    "takedown": "takedown requests",
    "sighting_check": "re-checks",
    "sighting_follow_up": "follow-ups",
    "suppression": "suppressions",
    "staff_client": "reviewer assignments",
    "follow_up_alert": "follow-up alerts",
}


def run_erase(args: argparse.Namespace, context: CommandContext) -> int:
    client_id: str = args.client_id
    db = context.database()
    get_client(db, client_id)  # an unknown ID fails here, before anyone types it back
    question = (
        f"Erase client {client_id}: fingerprints, sightings, evidence log, captures and "
        "pending alerts? This cannot be undone."
    )
    if not args.yes and not context.confirm_by_typing(question, expected=client_id):
        stdout.print("nothing erased")
        return 1
    removed = erase_client(db, client_id)
    capture_files = erase_client_files(context.settings().captures.directory, client_id)
    mentions = config_mentions(context.settings(), client_id)
    if context.json:
        print_json(
            {
                "id": client_id,
                "removed": removed,
                "capture_files": capture_files,
                "config_mentions": mentions,
            }
        )
        return 0
    parts = [
        f"{count} {ERASED_KINDS.get(table, table)}" for table, count in removed.items() if count
    ]
    if capture_files:
        parts.append(f"{capture_files} capture files")
    stdout.print(f"erased client {client_id}: {', '.join(parts) or 'nothing but the client'}")
    if mentions:
        stdout.print(
            f"the config still names {client_id} in {', '.join(mentions)}; take it out there too"
        )
    return 0


def config_mentions(settings: Settings, client_id: str) -> list[str]:
    """Where the config still names the client: its `[[clients]]` table, sources it owns."""
    mentions = ["[[clients]]"] if any(c.id == client_id for c in settings.clients) else []
    mentions += [f"sources {s.name!r}" for s in settings.sources if client_id in s.clients]
    return mentions
