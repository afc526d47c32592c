"""`monitor demo`: the whole monitor on a sample web served on 127.0.0.1, in one command.

It draws three pictures (shapes, not people), plants altered copies of them on a small site in
every embedding style plus unrelated pictures, enrols the originals for a demo client, runs one
sweep, shows the sightings and the alert as the phone would receive it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import tempfile
from pathlib import Path
from typing import Any

from rich.text import Text

from monitor.cli.context import CommandContext
from monitor.cli.output import print_json, stdout
from monitor.cli.sightings import sighting_json
from monitor.config import load_settings
from monitor.demo.server import ServedWeb, serve_alert_receiver, serve_web
from monitor.demo.site import build_site
from monitor.fingerprint import fingerprint_enrolled
from monitor.service import ScanReport, running_monitor
from monitor.store import open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Sighting
from monitor.store.sightings import list_sightings

DEMO_CLIENT = "demo-case"


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo", help="run the monitor end to end on a sample site served on 127.0.0.1"
    )
    demo.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the demo's config and database in DIR (default: a temp folder)",
    )
    demo.set_defaults(handler=run_demo)


def demo_config(*, database: Path, pages_url: str, feed_url: str) -> str:
    return f"""
[storage]
url = "sqlite:///{database}"

[fetch]
allow_private_addresses = true   # the sample site is on 127.0.0.1
per_host_delay = 0.0
per_host_concurrency = 8

[scan]
jitter = "1s"

[[sources]]
name = "sample-board"
kind = "pages"
urls = ["{pages_url}"]
depth = 1
every = "30m"

[[sources]]
name = "sample-alerts"
kind = "feed"
url = "{feed_url}"
every = "1h"
"""


def run_demo(args: argparse.Namespace, context: CommandContext) -> int:
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        return _demo_in(args.keep.resolve(), context, kept=True)
    with tempfile.TemporaryDirectory(prefix="monitor-demo-") as folder:
        return _demo_in(Path(folder), context, kept=False)


def _demo_in(folder: Path, context: CommandContext, *, kept: bool) -> int:
    with serve_web(ServedWeb()) as web, serve_alert_receiver() as receiver:
        site = build_site(web.base_url)
        web.routes.update(site.routes)
        config = folder / "monitor.toml"
        config.write_text(
            demo_config(
                database=folder / "demo.db", pages_url=site.pages_root, feed_url=site.feed_url
            ),
            encoding="utf-8",
        )
        settings = load_settings(config)
        db = open_database(settings.storage.url)
        add_client(db, client_id=DEMO_CLIENT, notify_urls=[receiver.apprise_url])
        for original in site.originals:
            enroll_item(
                db,
                client_id=DEMO_CLIENT,
                origin="image",
                hashes=fingerprint_enrolled(original, max_pixels=settings.fetch.max_pixels),
                sha256=hashlib.sha256(original).hexdigest(),
            )

        async def scan() -> ScanReport:
            async with running_monitor(settings) as monitor:
                return await monitor.scan()

        report = asyncio.run(scan())
        sightings = list_sightings(db)
        db.dispose()

    found = {sighting.image_url for sighting in sightings}
    planted = {copy.image_url for copy in site.planted}
    false_alarms = found & set(site.distractors)
    if context.json:
        print_json(
            {
                "config": str(config),
                "planted": len(planted),
                "found": len(found & planted),
                "distractors": len(site.distractors),
                "false_matches": len(false_alarms),
                "sightings": [sighting_json(sighting) for sighting in sightings],
                "alerts_received": receiver.messages,
                "sweeps": [
                    {
                        "source": s.source,
                        "pages": s.pages,
                        "images": s.images,
                        "new_sightings": s.new_sightings,
                        "error": s.error,
                    }
                    for s in report.sweeps
                ],
            }
        )
    else:
        _print_story(
            planted=len(planted),
            found=len(found & planted),
            distractors=len(site.distractors),
            false_alarms=len(false_alarms),
            sightings=sightings,
            messages=receiver.messages,
        )
        if kept:
            stdout.print(f"\nThe demo's config and database stay in {folder}")
    return 0 if found >= planted and not false_alarms else 1


def _print_story(
    *,
    planted: int,
    found: int,
    distractors: int,
    false_alarms: int,
    sightings: list[Sighting],
    messages: list[dict[str, Any]],
) -> None:
    stdout.print(
        f"Sample site: {planted} altered copies of 3 enrolled pictures (re-encoded, resized, "
        "greyscale, brighter, mirrored, rotated, bordered, letterboxed) in 11 embedding styles, "
        f"and {distractors} unrelated pictures."
    )
    stdout.print(
        f"Found {found} of {planted} copies; {false_alarms} unrelated picture(s) matched.\n"
    )
    for sighting in sorted(sightings, key=lambda s: s.id)[:8]:
        stdout.print(
            f"  sighting {sighting.id}: item {sighting.item_id} at {sighting.image_url} "
            f"({sighting.algorithm} distance {sighting.distance})",
        )
    if len(sightings) > 8:
        stdout.print(f"  ... and {len(sightings) - 8} more (`monitor sightings` lists them all)")
    for message in messages:
        stdout.print("\nThe alert as delivered (Apprise json:// to a local receiver):")
        stdout.print(Text(f"{message.get('title')}\n\n{message.get('message')}"), style="dim")
