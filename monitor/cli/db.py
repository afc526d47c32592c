"""`monitor db upgrade`: bring the database schema to what this version of monitor needs.

SQLite databases are upgraded whenever they are opened; PostgreSQL ones only by this command,
so an organisation decides when its shared schema changes (and backs it up first). On PostgreSQL
it also installs the task queue `monitor worker` takes work from (procrastinate's own tables,
kept apart from our migrations).
"""

from __future__ import annotations

import argparse

from monitor.cli.context import CommandContext
from monitor.cli.output import print_json, stdout
from monitor.store.database import upgrade_database


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = commands.add_parser("db", help="database maintenance")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = actions.add_parser(
        "upgrade", help="apply the schema migrations this version needs (back up first)"
    )
    upgrade.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace, context: CommandContext) -> int:
    url = context.settings().storage.url
    result = upgrade_database(url)
    queue_installed_now = False
    if url.startswith("postgresql"):
        # Imported here: the task queue needs the `postgres` extra, which SQLite users lack.
        from monitor.queue.app import install_queue

        queue_installed_now = install_queue(url)
    if context.json:
        print_json(
            {
                "from_revision": result.from_revision,
                "to_revision": result.to_revision,
                "changed": result.changed,
                "task_queue_installed": queue_installed_now,
            }
        )
        return 0
    if not result.changed:
        stdout.print(f"the database schema is up to date (revision {result.to_revision})")
    else:
        start = result.from_revision or "empty"
        stdout.print(f"upgraded the database schema from {start} to revision {result.to_revision}")
    if queue_installed_now:
        stdout.print("installed the task queue for `monitor worker` processes (procrastinate)")
    return 0
