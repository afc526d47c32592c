"""`monitor capture` (make the captures owed now) and `monitor evidence decrypt` (open one)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
from pathlib import Path

from monitor.capture.seal import open_sealed, parse_identities
from monitor.cli.context import CommandContext
from monitor.cli.export import write_private_bytes
from monitor.cli.output import print_json, stdout
from monitor.errors import InputError
from monitor.service import running_monitor

_MAX_SEALED_BYTES = 512 * 1024 * 1024


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    capture = commands.add_parser(
        "capture",
        help="capture the pages of new sightings now (clients with capture = true)",
    )
    capture.set_defaults(handler=run_capture)
    evidence = commands.add_parser("evidence", help="work with sealed captures")
    actions = evidence.add_subparsers(dest="evidence_action", metavar="ACTION", required=True)
    decrypt = actions.add_parser(
        "decrypt",
        help="open a sealed capture with the client's age private key (on the key's machine)",
    )
    decrypt.add_argument("sealed", type=Path, metavar="FILE", help="a .age capture file")
    decrypt.add_argument(
        "--identity",
        "-i",
        type=Path,
        required=True,
        metavar="KEYFILE",
        help="age identity file (AGE-SECRET-KEY-1...), e.g. from age-keygen",
    )
    decrypt.add_argument(
        "--out", "-o", type=Path, metavar="FILE", help="default: FILE without .age"
    )
    decrypt.set_defaults(handler=run_decrypt)


def run_capture(args: argparse.Namespace, context: CommandContext) -> int:
    settings = context.settings()

    async def capture() -> tuple[int, int, int]:
        async with running_monitor(settings) as monitor:
            summary = await monitor.capture_owed()
            return summary.sightings, summary.made, summary.failed

    sightings, made, failed = asyncio.run(capture())
    if context.json:
        print_json({"sightings": sightings, "made": made, "failed": failed})
    else:
        stdout.print(f"{sightings} sighting(s) captured: {made} capture(s) made, {failed} failed")
    return 0


def run_decrypt(args: argparse.Namespace, context: CommandContext) -> int:
    sealed_path: Path = args.sealed
    out: Path = args.out or sealed_path.with_suffix("")
    if out == sealed_path:
        raise InputError(f"give --out: {sealed_path} has no .age suffix to take off")
    if out.exists():
        raise InputError(f"{out} exists; give another --out so nothing is overwritten")
    identities = parse_identities(_read_text(args.identity, "identity file"))
    sealed = _read_bytes(sealed_path)
    opened = open_sealed(sealed, identities=identities)
    write_private_bytes(out, opened)
    result = {
        "out": str(out),
        "bytes": len(opened),
        "plaintext_sha256": hashlib.sha256(opened).hexdigest(),
        "encrypted_sha256": hashlib.sha256(sealed).hexdigest(),
    }
    if context.json:
        print_json(result)
    else:
        stdout.print(f"wrote {out} ({len(opened)} bytes)")
        stdout.print(f"SHA-256 {result['plaintext_sha256']}: compare with the incident log")
    return 0


def _read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the {what} {path}: {error}") from None


def _read_bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > _MAX_SEALED_BYTES:
            raise InputError(f"{path} is larger than any capture the monitor writes")
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
