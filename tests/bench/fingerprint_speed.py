"""Fingerprinting throughput and match-threshold calibration on a folder of real photos.

    python -m tests.bench.fingerprint_speed PHOTOS_DIR [--pdq N --phash N --dhash N]

Prints enrolment and candidate fingerprints per second on one core, then, for every photo,
the distances from re-uploads of it (re-encoded, resized, greyscale, brighter, mirrored, rotated,
bordered, letterboxed) to its enrolment, and the distances from every unrelated image (the other
photos, their transforms, crops and tiles of them, flat images) to each enrolment. The defaults
of MatchSettings must match every re-upload and leave a margin to the closest unrelated image.
Everything stays in memory.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageEnhance

from monitor.fingerprint import (
    Hash,
    IndexEntry,
    MatchIndex,
    MatchSettings,
    fingerprint_candidate,
    fingerprint_enrolled,
    hamming,
)
from tests.bench.distractors import same_picture, synthetic_distractors
from tests.bench.distractors import tiles_and_crops as distractors
from tests.bench.transforms import add_border, full_resolution, jpeg, letterbox

MAX_PIXELS = 200_000_000

Transform = Callable[[Image.Image, random.Random], Image.Image]


TRANSFORMS: dict[str, tuple[Transform, int]] = {
    "jpeg q30": (lambda im, _: im, 30),
    "resize 25%": (
        lambda im, _: im.resize((max(1, im.width // 4), max(1, im.height // 4)), Image.LANCZOS),
        90,
    ),
    "greyscale": (lambda im, _: im.convert("L"), 90),
    "brightness +30%": (lambda im, _: ImageEnhance.Brightness(im).enhance(1.3), 90),
    "mirror": (lambda im, _: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), 90),
    "rotate 90": (lambda im, _: im.transpose(Image.Transpose.ROTATE_90), 90),
    "border 10%": (add_border, 90),
    "letterbox": (letterbox, 85),
}


@dataclass(frozen=True)
class Closest:
    """The nearest an image came to one enrolled item."""

    pdq: int
    phash: int
    dhash: int
    slack: int  # min over orientations of max(phash - T_phash, dhash - T_dhash); <= 0 matches
    pair: tuple[int, int]
    # every (pHash, dHash) distance of a same-variant pair
    pairs: frozenset[tuple[int, int]] = field(repr=False)


def closest(
    candidate: Sequence[Hash], enrolled: Sequence[Hash], settings: MatchSettings
) -> Closest | None:
    """How near the candidate came to the enrolled item; None if the candidate has no hashes."""
    if not candidate:
        return None

    def of(algorithm: str, hashes: Sequence[Hash]) -> list[Hash]:
        return [h for h in hashes if h.algorithm == algorithm]

    pdq = min(
        (hamming(c.hex, e.hex) for c in of("pdq", candidate) for e in of("pdq", enrolled)),
        default=256,
    )
    pairs = [
        (hamming(cp.hex, ep.hex), hamming(cd.hex, ed.hex))
        for cp, cd in _by_variant(candidate)
        for ep, ed in _by_variant(enrolled)
    ]
    if not pairs:
        return Closest(pdq=pdq, phash=64, dhash=64, slack=64, pair=(64, 64), pairs=frozenset())
    best = min(pairs, key=lambda pd: max(pd[0] - settings.phash, pd[1] - settings.dhash))
    return Closest(
        pdq=pdq,
        phash=min(p for p, _ in pairs),
        dhash=min(d for _, d in pairs),
        slack=max(best[0] - settings.phash, best[1] - settings.dhash),
        pair=best,
        pairs=frozenset(pairs),
    )


def _by_variant(hashes: Sequence[Hash]) -> list[tuple[Hash, Hash]]:
    """(pHash, dHash) of each variant."""
    phashes = {h.variant: h for h in hashes if h.algorithm == "phash"}
    return [(phashes[h.variant], h) for h in hashes if h.algorithm == "dhash"]


def rate(work: Callable[[bytes], object], inputs: Sequence[bytes]) -> float:
    started = time.process_time()
    for data in inputs:
        work(data)
    return len(inputs) / (time.process_time() - started)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("photos", type=Path)
    parser.add_argument("--seed", type=int, default=20240501)
    defaults = MatchSettings()
    parser.add_argument("--pdq", type=int, default=defaults.pdq)
    parser.add_argument("--phash", type=int, default=defaults.phash)
    parser.add_argument("--dhash", type=int, default=defaults.dhash)
    args = parser.parse_args(argv)
    settings = MatchSettings(pdq=args.pdq, phash=args.phash, dhash=args.dhash)
    rng = random.Random(args.seed)

    paths = sorted(p for p in args.photos.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    if len(paths) < 2:
        print(f"need at least 2 photos in {args.photos}", file=sys.stderr)
        return 2
    originals = [p.read_bytes() for p in paths]
    names = [p.stem for p in paths]
    print(f"{len(paths)} photos, settings: {settings}")
    _print_speed(originals)

    enrolled = [fingerprint_enrolled(d, max_pixels=MAX_PIXELS) for d in originals]
    index = MatchIndex(
        (IndexEntry("bench", n, h) for n, hashes in enumerate(enrolled) for h in hashes),
        settings=settings,
    )
    blank = {
        n for n, d in enumerate(originals) if not fingerprint_candidate(d, max_pixels=MAX_PIXELS)
    }
    if blank:
        print(
            f"\nBlank photos (no candidate hashes; excluded from recall): "
            f"{', '.join(names[n] for n in sorted(blank))}"
        )

    related: dict[str, list[tuple[int, Closest, bool]]] = {name: [] for name in TRANSFORMS}
    unrelated: list[Unrelated] = []
    for number, data in enumerate(originals):
        candidate = fingerprint_candidate(data, max_pixels=MAX_PIXELS)
        unrelated += _unrelated("other photos", "", number, candidate, enrolled, names, settings)
        picture = full_resolution(data)
        for name, (transform, quality) in TRANSFORMS.items():
            candidate = fingerprint_candidate(
                jpeg(transform(picture, rng), quality), max_pixels=MAX_PIXELS
            )
            own = closest(candidate, enrolled[number], settings)
            if number not in blank and own is not None:
                matched = any(m.item_id == number for m in index.match(candidate))
                related[name].append((number, own, matched))
            what = f"{name} of"
            unrelated += _unrelated(
                "re-uploads", what, number, candidate, enrolled, names, settings
            )
        for piece_number, piece in enumerate(distractors(picture, rng)):
            candidate = fingerprint_candidate(jpeg(piece), max_pixels=MAX_PIXELS)
            what = f"crop {piece_number} of"
            unrelated += _unrelated(
                "crops, tiles", what, number, candidate, enrolled, names, settings
            )
    for piece_number, piece in enumerate(synthetic_distractors()):
        candidate = fingerprint_candidate(jpeg(piece), max_pixels=MAX_PIXELS)
        what = f"synthetic image {piece_number}"
        unrelated += _unrelated("flat, text", what, None, candidate, enrolled, names, settings)

    _print_related(related, names, settings)
    _print_unrelated(unrelated, settings)
    return 0


@dataclass(frozen=True)
class Unrelated:
    kind: str
    what: str
    enrolled: str
    distance: Closest


def _unrelated(
    kind: str,
    what: str,
    source: int | None,
    candidate: Sequence[Hash],
    enrolled: Sequence[Sequence[Hash]],
    names: Sequence[str],
    settings: MatchSettings,
) -> list[Unrelated]:
    """Distances from an image to every enrolled photo it does not show."""
    label = what if source is None else f"{what} {names[source]}".strip()
    found = []
    for other, hashes in enumerate(enrolled):
        if source is not None and (other == source or same_picture(names[source], names[other])):
            continue
        distance = closest(candidate, hashes, settings)
        if distance is not None:
            found.append(Unrelated(kind, label, names[other], distance))
    return found


def _print_speed(originals: Sequence[bytes]) -> None:
    web_sized = []
    for data in originals:
        picture = full_resolution(data)
        picture.thumbnail((1280, 1280), Image.Resampling.LANCZOS)
        web_sized.append(jpeg(picture, 85))
    enrol_rate = rate(lambda d: fingerprint_enrolled(d, max_pixels=MAX_PIXELS), originals)
    cand_rate = rate(lambda d: fingerprint_candidate(d, max_pixels=MAX_PIXELS), originals)
    web_rate = rate(lambda d: fingerprint_candidate(d, max_pixels=MAX_PIXELS), web_sized)
    print("\nThroughput, one core (CPU time):")
    print(f"  enrolment, the photos as they are ({_sizes(originals)}): {enrol_rate:6.1f} /s")
    print(f"  candidate, the photos as they are:{'':22} {cand_rate:6.1f} /s")
    print(f"  candidate, web-sized JPEG (1280 px, q85, {_sizes(web_sized)}): {web_rate:6.1f} /s")


def _print_related(
    related: dict[str, list[tuple[int, Closest, bool]]], names: list[str], settings: MatchSettings
) -> None:
    print("\nRe-uploads vs their own enrolment (worst = largest distance over the photos):")
    print(
        f"  {'transform':<16} {'matched':>7} {'by PDQ':>7} {'by p+d':>7}"
        f" {'worst PDQ':>10} {'worst pHash':>12} {'worst dHash':>12}"
    )
    total = matched_total = 0
    for name, rows in related.items():
        count = len(rows)
        by_pdq = sum(c.pdq <= settings.pdq for _, c, _ in rows)
        by_pair = sum(c.slack <= 0 for _, c, _ in rows)
        matched = sum(m for _, _, m in rows)
        total += count
        matched_total += matched
        worst_pdq = max(c.pdq for _, c, _ in rows if c.pdq <= settings.pdq)
        print(
            f"  {name:<16} {matched:>3}/{count:<3} {by_pdq:>3}/{count:<3} {by_pair:>3}/{count:<3}"
            f" {worst_pdq:>10} {max(c.pair[0] for _, c, _ in rows if c.slack <= 0):>12}"
            f" {max(c.pair[1] for _, c, _ in rows if c.slack <= 0):>12}"
        )
        for number, distance, ok in rows:
            if not ok or distance.pdq > settings.pdq:
                state = "matched by pHash+dHash only" if ok else "MISSED"
                print(f"      {state}: {names[number]} {distance}")
    print(f"  recall: {matched_total}/{total}  (worst PDQ/pHash/dHash counted over matches only)")
    needed = sorted(
        min(c.pairs, key=lambda pd: max(pd[0] - settings.phash, pd[1] - settings.dhash))
        for rows in related.values()
        for _, c, _ in rows
        if c.pdq > settings.pdq and c.pairs
    )
    print(f"  (pHash, dHash) of the re-uploads PDQ misses: {needed}")


def _print_unrelated(unrelated: list[Unrelated], settings: MatchSettings) -> None:
    print(f"\nUnrelated pairs: {len(unrelated):,} (image, enrolled photo) pairs")
    keys: dict[str, Callable[[Closest], int]] = {
        "PDQ": lambda c: c.pdq,
        "pHash": lambda c: c.phash,
        "dHash": lambda c: c.dhash,
        "p+d slack": lambda c: c.slack,
    }
    print(f"  {'image':<14} {'pairs':>7} " + " ".join(f"{'min ' + k:>13}" for k in keys))
    for kind in dict.fromkeys(row.kind for row in unrelated):
        rows = [row for row in unrelated if row.kind == kind]
        minima = " ".join(f"{min(key(row.distance) for row in rows):>13}" for key in keys.values())
        print(f"  {kind:<14} {len(rows):>7,} {minima}")
    for label, key in keys.items():
        ordered = sorted(unrelated, key=lambda row: key(row.distance))[:3]
        shown = "; ".join(
            f"{key(row.distance)} ({row.what} ~ {row.enrolled}"
            + (f", pHash/dHash {row.distance.pair}" if label == "p+d slack" else "")
            + ")"
            for row in ordered
        )
        print(f"  closest {label:<9}: {shown}")
    smallest_d = {p: 64 for p in range(21)}
    smallest_p = {d: 64 for d in range(21)}
    for row in unrelated:
        for p, d in row.distance.pairs:
            for limit in range(p, 21):
                smallest_d[limit] = min(smallest_d[limit], d)
            for limit in range(d, 21):
                smallest_p[limit] = min(smallest_p[limit], p)
    print("  pHash+dHash frontier of the unrelated pairs:")
    print("    pHash <= N: smallest dHash  " + " ".join(f"{n}:{d}" for n, d in smallest_d.items()))
    print("    dHash <= N: smallest pHash  " + " ".join(f"{n}:{p}" for n, p in smallest_p.items()))
    false_matches = [
        row for row in unrelated if row.distance.pdq <= settings.pdq or row.distance.slack <= 0
    ]
    closest_pdq = min(row.distance.pdq for row in unrelated)
    closest_slack = min(row.distance.slack for row in unrelated)
    print(
        f"  margin: PDQ {closest_pdq - settings.pdq} bits above the threshold, pHash+dHash "
        f"{closest_slack} bits (slack = max(pHash - {settings.phash}, dHash - {settings.dhash}))"
    )
    print(f"  false matches at these settings: {len(false_matches)}")
    for row in false_matches[:20]:
        print(f"      {row.what} ~ {row.enrolled}: {row.distance}")


def _sizes(items: Sequence[bytes]) -> str:
    return f"{sum(len(i) for i in items) / len(items) / 1e6:.1f} MB average"


if __name__ == "__main__":
    sys.exit(main())
