"""`monitor enroll` and `monitor hash`: fingerprints from image and video files, in memory only.

The bytes are read into memory, fingerprinted and dropped. Nothing of them is written, cached or
logged; only the fingerprints (and the file's SHA-256) go on. A video (recognised by its first
bytes, whatever its name) becomes one item holding the fingerprints of its sampled frames.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from monitor.cli.context import CommandContext
from monitor.cli.output import print_json_line, stderr, stdout, write_private_file
from monitor.errors import ImageError, InputError
from monitor.fetch.settings import FetchSettings
from monitor.fingerprint import FingerprintItem, fingerprint_enrolled
from monitor.fingerprint.hashfile import dump_fingerprint_file, load_fingerprint_file
from monitor.fingerprint.video import enrolment_limits, fingerprint_enrolled_video
from monitor.fingerprint.video_decode import video_container
from monitor.store.clients import enroll_item, get_client

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".heif", ".bmp", ".tif", ".tiff", ".avif"}
)
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi"})
PROGRESS_THRESHOLD = 10


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    enroll = commands.add_parser(
        "enroll", help="fingerprint a client's images (stores fingerprints only)"
    )
    enroll.add_argument("--client", required=True, metavar="ID")
    group = enroll.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "paths", nargs="*", default=[], metavar="PATH", help="image or video files, or folders"
    )
    group.add_argument(
        "--hashes",
        type=Path,
        metavar="FILE",
        help="import a fingerprint file from `monitor hash` or a PDQ list",
    )
    enroll.set_defaults(handler=run_enroll)

    hash_ = commands.add_parser(
        "hash", help="compute fingerprints without config or database (for the victim's own device)"
    )
    hash_.add_argument("paths", nargs="+", metavar="PATH", help="image or video files, or folders")
    hash_.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    hash_.add_argument(
        "--with-names",
        action="store_true",
        help="keep file names as labels (off by default: names can say too much)",
    )
    hash_.set_defaults(handler=run_hash, needs_config=False)


@dataclass(frozen=True)
class Fingerprinted:
    path: Path
    item: FingerprintItem | None
    error: str | None
    origin: str = "image"  # or "video"

    @property
    def warning(self) -> str | None:
        if self.item is not None and not any(h.algorithm == "phash" for h in self.item.hashes):
            return "the picture is nearly blank; altered re-uploads of it may not be found"
        return None


def expand_paths(paths: Sequence[str]) -> list[Path]:
    """Files as given, folders walked for image and video files, in a stable order."""
    found: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found.extend(
                sorted(
                    candidate
                    for candidate in path.rglob("*")
                    if candidate.is_file()
                    and candidate.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES
                    and not any(part.startswith(".") for part in candidate.relative_to(path).parts)
                )
            )
        elif path.exists():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    return found


def fingerprint_files(
    paths: Sequence[Path], *, max_pixels: int, with_names: bool, max_video_pixels: int
) -> Iterator[Fingerprinted]:
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as error:
            yield Fingerprinted(path=path, item=None, error=f"cannot read: {error.strerror}")
            continue
        origin = "image" if video_container(data) is None else "video"
        try:
            if origin == "video":
                limits = enrolment_limits(max_pixels=max_video_pixels)
                hashes = fingerprint_enrolled_video(data, limits=limits)
            else:
                hashes = fingerprint_enrolled(data, max_pixels=max_pixels)
        except ImageError as error:
            yield Fingerprinted(path=path, item=None, error=str(error))
            continue
        finally:
            sha256 = hashlib.sha256(data).hexdigest()
            del data
        yield Fingerprinted(
            path=path,
            item=FingerprintItem(
                label=path.name if with_names else None, sha256=sha256, hashes=hashes
            ),
            error=None,
            origin=origin,
        )


def run_enroll(args: argparse.Namespace, context: CommandContext) -> int:
    db = context.database()
    client = get_client(db, args.client)
    if args.hashes is not None:
        return _import_hashes(args.hashes, client_id=client.id, context=context)
    paths = expand_paths(args.paths)
    if not paths:
        raise InputError("no image or video files found in the given paths")
    failures = enrolled = again = refreshed = 0
    fetch = context.settings().fetch
    with _progress(len(paths), quiet=context.json) as advance:
        for result in fingerprint_files(
            paths,
            max_pixels=fetch.max_pixels,
            with_names=False,
            max_video_pixels=fetch.max_video_pixels,
        ):
            advance()
            if result.item is None:
                failures += 1
                _report(context, {"path": str(result.path), "error": result.error})
                continue
            stored = enroll_item(
                db,
                client_id=client.id,
                hashes=result.item.hashes,
                sha256=result.item.sha256,
                origin=result.origin,
            )
            enrolled += not stored.already_enrolled
            again += stored.already_enrolled
            refreshed += stored.hashes_added + stored.hashes_removed > 0
            entry: dict[str, object] = {
                "path": str(result.path),
                "item": stored.item_id,
                "hashes": stored.hashes,
                "already_enrolled": stored.already_enrolled,
                "hashes_added": stored.hashes_added,
                "hashes_removed": stored.hashes_removed,
            }
            if result.warning:
                entry["warning"] = result.warning
            _report(context, entry)
    if not context.json:
        updated = (
            f" ({refreshed} of them now have this version's fingerprints)" if refreshed else ""
        )
        stdout.print(
            f"enrolled {enrolled} image(s) for client {client.id}; "
            f"{again} were enrolled already{updated}; {failures} failed"
        )
    return 1 if failures else 0


def _import_hashes(path: Path, *, client_id: str, context: CommandContext) -> int:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the fingerprint file: {error}") from None
    items = load_fingerprint_file(text)
    db = context.database()
    for number, item in enumerate(items, start=1):
        stored = enroll_item(
            db,
            client_id=client_id,
            hashes=item.hashes,
            sha256=item.sha256,
            origin="import",
            label=item.label,
        )
        _report(
            context,
            {
                "path": f"{path}#{number}",
                "item": stored.item_id,
                "hashes": stored.hashes,
                "already_enrolled": stored.already_enrolled,
            },
        )
    if not context.json:
        stdout.print(f"imported {len(items)} item(s) for client {client_id} from {path}")
    return 0


def run_hash(args: argparse.Namespace, context: CommandContext) -> int:
    paths = expand_paths(args.paths)
    if not paths:
        raise InputError("no image or video files found in the given paths")
    items: list[FingerprintItem] = []
    failures = 0
    defaults = FetchSettings()
    with _progress(len(paths), quiet=args.out is None) as advance:
        for result in fingerprint_files(
            paths,
            max_pixels=defaults.max_pixels,
            with_names=args.with_names,
            max_video_pixels=defaults.max_video_pixels,
        ):
            advance()
            if result.item is None:
                failures += 1
                stderr.print(f"{result.path}: {result.error}")
            else:
                items.append(result.item)
    text = dump_fingerprint_file(items)
    if args.out is None:
        print(text)
    else:
        write_private_file(args.out, text)
        stderr.print(
            f"wrote fingerprints of {len(items)} image(s) to {args.out}; {failures} failed",
        )
    return 1 if failures else 0


def _report(context: CommandContext, entry: dict[str, object]) -> None:
    if context.json:
        print_json_line(entry)
    elif "error" in entry:
        stderr.print(f"{entry['path']}: {entry['error']}")
    elif "warning" in entry:
        stderr.print(f"{entry['path']}: warning: {entry['warning']}")


@contextmanager
def _progress(total: int, *, quiet: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on a terminal for large folders; a no-op otherwise."""
    if quiet or total < PROGRESS_THRESHOLD or not stderr.is_terminal:
        yield lambda: None
        return
    columns = (TextColumn("fingerprinting"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task("fingerprinting", total=total)
        yield lambda: bar.advance(task)
