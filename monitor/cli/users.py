"""`monitor user add|list|assign`: dashboard accounts. Passwords come from a prompt or stdin,
never from the command line (where other users of the machine could read them)."""

from __future__ import annotations

import argparse
import getpass
import sys

from rich.table import Table

from monitor.cli.context import CommandContext
from monitor.cli.output import print_json, stdout
from monitor.errors import InputError
from monitor.store.staff import ROLES, StaffUser, add_staff_user, assign_client, list_staff_users


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser("user", help="dashboard accounts (monitor web)")
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", help="add an account; the password is asked for, or read from stdin"
    )
    add.add_argument("username", metavar="NAME")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--client",
        dest="clients",
        action="append",
        default=[],
        metavar="ID",
        help="a client this reviewer may see (repeatable)",
    )
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list accounts and their clients")
    listing.set_defaults(handler=run_list)
    assign = actions.add_parser("assign", help="let a reviewer see a client")
    assign.add_argument("username", metavar="NAME")
    assign.add_argument("client_id", metavar="CLIENT")
    assign.set_defaults(handler=run_assign)


def run_add(args: argparse.Namespace, context: CommandContext) -> int:
    from monitor.web.passwords import Passwords

    if args.role == "admin" and args.clients:
        raise InputError("an admin sees every client; leave out --client for --role admin")
    password_hash = Passwords().hash(read_new_password())
    user = add_staff_user(
        context.database(),
        username=args.username,
        password_hash=password_hash,
        role=args.role,
        client_ids=args.clients,
    )
    _show([user], context, one=True)
    return 0


def run_list(args: argparse.Namespace, context: CommandContext) -> int:
    _show(list_staff_users(context.database()), context, one=False)
    return 0


def run_assign(args: argparse.Namespace, context: CommandContext) -> int:
    user = assign_client(context.database(), username=args.username, client_id=args.client_id)
    _show([user], context, one=True)
    return 0


def read_new_password() -> str:
    """Twice at a terminal; otherwise the first line of stdin (for scripts)."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line.strip():
            raise InputError("no password on stdin; pipe one line, or run at a terminal")
        return line.rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise InputError("the two passwords differ; nothing was changed")
    return first


def user_json(user: StaffUser) -> dict[str, object]:
    return {
        "username": user.username,
        "role": user.role,
        "clients": "all" if user.is_admin else list(user.client_ids),
        "disabled": user.disabled,
    }


def _show(users: list[StaffUser], context: CommandContext, *, one: bool) -> None:
    if context.json:
        print_json(user_json(users[0]) if one else [user_json(user) for user in users])
        return
    if not users:
        stdout.print("no accounts yet; add one with `monitor user add NAME --role admin`")
        return
    table = Table("user", "role", "clients", "disabled")
    for user in users:
        clients = "all" if user.is_admin else ", ".join(user.client_ids) or "none"
        table.add_row(user.username, user.role, clients, "yes" if user.disabled else "")
    stdout.print(table)
