"""Recall, false matches and speed of our matcher on real re-upload alterations, with plain PDQ
and plain pHash measured side by side in the same run.

    python -m tests.bench.accuracy PHOTOS_DIR [--quick] [--seed N] [--workers N]

Enrols every photo with the project's code (`fingerprint_enrolled`, `MatchIndex` with the
`MatchSettings` defaults) plus decoy enrolments (windows of 50-80% of each photo), makes one
re-upload of every photo per transform in `tests.bench.transforms` (seeded), cuts distractors
(grid tiles and small crops of every photo, flat and text images) and prints:
  * recall per transform for our matcher, plain PDQ (threshold 31) and plain pHash (threshold 10);
  * unrelated (candidate, enrolled item) pairs compared, false matches, and the smallest
    unrelated distance per algorithm against its threshold (the margin);
  * fingerprints per second per core (CPU time) for enrolment and candidates, ours and plain;
  * index look-ups per second with 1,000,000 stored hashes (`tests.bench.index_speed`).
A pair is unrelated when the candidate has no pixels of the item's photo or of a photo that is
the same picture (`tests.bench.distractors.SAME_PICTURE`). Photos that are blank on white
(transparent overlays) are enrolled but left out of recall. `--quick` runs 6 photos, fewer
distractors and a 50,000-hash index, for a smoke run. Work is spread over `--workers` processes
(default: 2); nothing is written to disk.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image, ImageOps

from monitor.fingerprint import IndexEntry, MatchIndex, MatchSettings
from monitor.fingerprint.fingerprinter import (
    MIN_FLAT_PDQ_QUALITY,
    MIN_PART_PDQ_QUALITY,
    MIN_PDQ_QUALITY,
)
from monitor.fingerprint.regions import TILT_VARIANTS
from tests.bench import index_speed
from tests.bench.baselines import PLAIN_PDQ_THRESHOLD, PLAIN_PHASH_THRESHOLD
from tests.bench.corpus import Candidate, Enrolled, PhotoJob, build_photo, candidate_sample
from tests.bench.distractors import family_of, synthetic_distractors
from tests.bench.margins import print_unrelated
from tests.bench.profiles_table import print_profiles
from tests.bench.transforms import OTHERS_NEEDED, TRANSFORMS, jpeg
from tests.bench.unrelated import PairDistances, pair_distances

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


@dataclass(frozen=True)
class Scale:
    photos: int | None  # None: all
    decoys: int
    crops: int
    grids: tuple[int, ...]
    index_hashes: int
    index_lookups: int


FULL = Scale(
    photos=None, decoys=7, crops=4, grids=(2, 3), index_hashes=1_000_000, index_lookups=200
)
QUICK = Scale(photos=6, decoys=1, crops=2, grids=(2,), index_hashes=50_000, index_lookups=100)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("photos", type=Path, help="a folder of real photos (JPEG, PNG, WebP)")
    parser.add_argument("--quick", action="store_true", help="a small, fast run (smoke test)")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--workers", type=int, default=2, help="processes (default: 2)")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    paths = _photo_paths(args.photos, scale)
    if len(paths) < OTHERS_NEEDED + 2:
        print(f"need at least {OTHERS_NEEDED + 2} photos in {args.photos}", file=sys.stderr)
        return 2
    settings = MatchSettings()
    started = time.monotonic()
    enrolled, candidates = _hash_everything(paths, scale, seed=args.seed, workers=args.workers)
    index = MatchIndex(
        (IndexEntry("bench", n, h) for n, item in enumerate(enrolled) for h in item.sample.ours),
        settings=settings,
    )
    distances = pair_distances(
        [(c.sample.ours, c.sample.plain) for c in candidates],
        [(e.sample.ours, e.sample.plain) for e in enrolled],
        settings=settings,
    )
    names = [path.stem for path in paths]
    blank = {e.source for e in enrolled if e.kind == "photo" and not _has_phash(e)}
    print(f"{len(paths)} photos in {args.photos}; matcher settings {settings!r}")
    print(
        f"PDQ quality floors: whole pictures and enrolled regions >= {MIN_PDQ_QUALITY},"
        f' a candidate\'s parts >= {MIN_PART_PDQ_QUALITY}; flat PDQs ("flat-", matched at'
        f" pdq<={settings.flat_pdq}) >= {MIN_FLAT_PDQ_QUALITY}; enrolled tilts:"
        f" {', '.join(TILT_VARIANTS)} (none on a filled canvas)"
    )
    if blank:
        print(f"blank on white, left out of recall: {', '.join(names[n] for n in sorted(blank))}")
    graphics = {n for n, path in enumerate(paths) if is_graphic(path)}
    if graphics - blank:
        print(
            "graphics (logos on gradients, stripes, silhouettes; see `is_graphic`): "
            + ", ".join(names[n][:3] for n in sorted(graphics - blank))
        )
    _print_recall(
        candidates, enrolled, index, distances, blank=blank, graphics=graphics, settings=settings
    )
    related = _related(candidates, enrolled, family_of(names))
    print_unrelated(candidates, enrolled, distances, related, names=names, settings=settings)
    print_profiles(candidates, enrolled, distances, related, blank=blank)
    _print_speed(candidates, enrolled)
    _print_storage(enrolled)
    print(f"\n(hashing and matching took {time.monotonic() - started:.0f} s wall time)")
    speeds = index_speed.measure(hashes=scale.index_hashes, lookups=scale.index_lookups)
    index_speed.print_table(speeds, hashes=scale.index_hashes)
    print(f"\ntotal {time.monotonic() - started:.0f} s wall time, {args.workers} workers")
    return 0


def _photo_paths(folder: Path, scale: Scale) -> list[Path]:
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if scale.photos is None or len(paths) <= scale.photos:
        return paths
    step = len(paths) / scale.photos
    return [paths[int(n * step)] for n in range(scale.photos)]


def _hash_everything(
    paths: list[Path], scale: Scale, *, seed: int, workers: int
) -> tuple[list[Enrolled], list[Candidate]]:
    families = family_of([path.stem for path in paths])
    jobs = []
    for number, path in enumerate(paths):
        strangers = [n for n in range(len(paths)) if families[n] != families[number]]
        chosen = random.Random(f"{seed}/others/{number}").sample(strangers, OTHERS_NEEDED)
        others = tuple((n, paths[n]) for n in chosen)
        jobs.append(PhotoJob(number, path, others, seed, scale.decoys, scale.crops, scale.grids))
    jobs.sort(key=lambda job: -job.path.stat().st_size)  # big ones first: even finish
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = sorted(pool.imap_unordered(build_photo, jobs), key=lambda r: r.number)
    enrolled = [item for result in results for item in result.enrolled]
    candidates = [candidate for result in results for candidate in result.candidates]
    for number, picture in enumerate(synthetic_distractors()):
        sample = candidate_sample(jpeg(picture, 85))
        candidates.append(Candidate("flat/text", f"synthetic {number}", None, frozenset(), sample))
    return enrolled, candidates


def _has_phash(item: Enrolled) -> bool:
    return any(h.algorithm == "phash" for h in item.sample.ours)


def _related(
    candidates: Sequence[Candidate], enrolled: Sequence[Enrolled], families: list[int]
) -> np.ndarray:
    """(candidates, items) True where the candidate shows the item's photo or its family."""
    shows = np.zeros((len(candidates), len(families)), dtype=bool)
    for row, candidate in enumerate(candidates):
        for photo in candidate.shows:
            shows[row, families[photo]] = True
    related: np.ndarray = shows[:, [families[item.source] for item in enrolled]]
    return related


def _print_recall(
    candidates: Sequence[Candidate],
    enrolled: Sequence[Enrolled],
    index: MatchIndex,
    distances: PairDistances,
    *,
    blank: set[int],
    graphics: set[int],
    settings: MatchSettings,
) -> None:
    own_item = {item.source: n for n, item in enumerate(enrolled) if item.kind == "photo"}
    ours_match = distances.ours_match(settings)
    disagreements = 0
    rows: dict[str, list[tuple[bool, bool, bool, int]]] = {t.name: [] for t in TRANSFORMS}
    by_kind: dict[tuple[str, bool], list[bool]] = {}
    for number, candidate in enumerate(candidates):
        if candidate.kind != "re-upload" or candidate.source is None:
            continue
        found = {match.item_id for match in index.match(candidate.sample.ours)}
        disagreements += found != set(np.flatnonzero(ours_match[number]).tolist())
        if candidate.source in blank:
            continue
        own = own_item[candidate.source]
        by_kind.setdefault((candidate.label, candidate.source in graphics), []).append(own in found)
        rows[candidate.label].append(
            (
                own in found,
                bool(distances.plain_pdq[number, own] <= PLAIN_PDQ_THRESHOLD),
                bool(distances.plain_phash[number, own] <= PLAIN_PHASH_THRESHOLD),
                int(distances.ours_pdq[number, own]),
            )
        )
    print(
        f"\nRecall per transform (re-uploads of {len(own_item) - len(blank)} photos; ours at "
        f"pdq<={settings.pdq} (flat {settings.flat_pdq}) or phash<={settings.phash}"
        f"+dhash<={settings.dhash}"
        f" (regions {settings.region_phash}+{settings.region_dhash}); "
        f"plain PDQ<={PLAIN_PDQ_THRESHOLD}; plain pHash<={PLAIN_PHASH_THRESHOLD})"
    )
    print(
        f"  {'transform':<22} {'kind':<5} {'n':>3} {'ours':>7} {'PDQ':>7} {'pHash':>7}"
        f" {'ours PDQ bits, median':>22} {'ours: photos':>13} {'graphics':>9}"
    )
    worst: dict[bool, list[float]] = {False: [], True: []}
    for transform in TRANSFORMS:
        found_rows = rows[transform.name]
        count = len(found_rows)
        shares = [sum(row[column] for row in found_rows) / count for column in range(3)]
        worst[transform.hard].append(shares[0])
        median = statistics.median(row[3] for row in found_rows)
        print(
            f"  {transform.name:<22} {'hard' if transform.hard else 'mild':<5} {count:>3}"
            + "".join(f" {share:>6.1%}" for share in shares)
            + f" {median:>22.0f}"
            + "".join(
                f" {_share(by_kind.get((transform.name, graphic), [])):>{width}}"
                for graphic, width in ((False, 13), (True, 9))
            )
        )
    for hard, target in ((False, 0.99), (True, 0.90)):
        shares = worst[hard]
        print(
            f"  {'hard' if hard else 'mild'} transforms: ours lowest {min(shares):.1%}, mean "
            f"{statistics.fmean(shares):.1%}; {sum(s >= target for s in shares)}/{len(shares)} "
            f"reach the target of {target:.0%}"
        )
    print(f"  MatchIndex and the vectorised rule disagree on {disagreements} re-uploads (want 0)")


def _share(found: list[bool]) -> str:
    return f"{sum(found) / len(found):.1%}" if found else "-"


def is_graphic(path: Path) -> bool:
    """A flat graphic rather than a photograph: more than 60% of its 16x16 blocks (on the
    512-pixel copy) vary by less than 2 grey levels, or its PDQ quality is below 70 -- logos on
    gradients, stripes, silhouettes. The recall table shows them apart: what is flat gives every
    perceptual hash little to hold on to, and the people this tool serves send photographs."""
    with Image.open(path) as opened:
        picture = ImageOps.exif_transpose(opened).convert("RGB")
    picture.thumbnail((512, 512), Image.Resampling.LANCZOS)
    grey = np.asarray(picture.convert("L"), dtype=np.float32)
    rows, columns = grey.shape[0] // 16, grey.shape[1] // 16
    if not (rows and columns):
        return True
    blocks = grey[: rows * 16, : columns * 16].reshape(rows, 16, columns, 16).std(axis=(1, 3))
    _bits, quality = pdqhash.compute(np.asarray(picture))
    return bool((blocks < 2).mean() > 0.6 or quality < 70)


def _print_speed(candidates: Sequence[Candidate], enrolled: Sequence[Enrolled]) -> None:
    photos = [item.sample for item in enrolled if item.kind == "photo"]
    uploads = [c.sample for c in candidates if c.kind == "re-upload"]
    # Most of what a sweep fetches is unrelated to any client: pieces of other photos stand in.
    others = [c.sample for c in candidates if c.kind != "re-upload"]
    print("\nFingerprints per second per core (CPU time, measured side by side):")
    print(
        f"  {'':<34} {'ours':>8} {'plain PDQ+pHash':>16} {'ours/plain time':>16}"
        f" {'plain with our PDQ':>19} {'ours/that':>10}"
    )
    for label, samples in (
        (f"enrolment ({len(photos)} original files)", photos),
        (f"candidates ({len(uploads)} re-uploads)", uploads),
        (f"candidates ({len(others)} unrelated)", others),
    ):
        ours = sum(s.ours_seconds for s in samples)
        plain = sum(s.plain_seconds for s in samples)
        plain_our_pdq = sum(s.plain_our_pdq_seconds for s in samples)
        print(
            f"  {label:<34} {len(samples) / ours:>8.1f} {len(samples) / plain:>16.1f}"
            f" {ours / plain:>15.2f}x {len(samples) / plain_our_pdq:>19.1f}"
            f" {ours / plain_our_pdq:>9.2f}x"
        )
    print(
        "  target: a candidate costs at most 2x plain PDQ+pHash with draft decoding (plain PDQ is"
        " the reference binding, pdqhash; ours computes the same bits faster, and the last"
        " columns give plain hashing that faster PDQ too)"
    )


def _print_storage(enrolled: Sequence[Enrolled]) -> None:
    """What an enrolled photo costs to store: hashes, and bytes as a fingerprint file or the
    database holds them (algorithm, variant and hex text of each hash)."""
    photos = [item.sample.ours for item in enrolled if item.kind == "photo"]
    counts = [len(hashes) for hashes in photos]
    sizes = [
        sum(len(h.algorithm) + len(h.variant) + len(h.hex) for h in hashes) for hashes in photos
    ]
    raw = [sum(len(h.hex) // 2 for h in hashes) for hashes in photos]
    print(
        f"\nStored per enrolled photo: {statistics.fmean(counts):.0f} hashes (max {max(counts)});"
        f" {statistics.fmean(sizes):,.0f} bytes as text (max {max(sizes):,}), hash bits alone"
        f" {statistics.fmean(raw):,.0f} bytes; limit 65,536"
    )


if __name__ == "__main__":
    sys.exit(main())
