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
import io
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from monitor.fingerprint import (
    Hash,
    IndexEntry,
    MatchIndex,
    MatchSettings,
    fingerprint_candidate,
    fingerprint_enrolled,
    hamming,
)

MAX_PIXELS = 200_000_000

# Photos in the calibration set that are one picture in different colours (judged by eye): a
# re-upload in other colours is one we want to find, so these pairs are not "unrelated".
SAME_PICTURE = (
    frozenset({"020", "021", "022", "023"}),  # Ubuntu MATE aurora: cold, dark, radioactive, warm
    frozenset({"017", "018"}),  # MATE stripes, dark and light
)


def same_picture(name_a: str, name_b: str) -> bool:
    return any({name_a[:3], name_b[:3]} <= family for family in SAME_PICTURE)
Transform = Callable[[Image.Image, random.Random], Image.Image]


def full_resolution(data: bytes) -> Image.Image:
    """The photo as a person sees it: oriented, transparency on white, full size."""
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image.convert("RGB")


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def add_border(image: Image.Image, rng: random.Random) -> Image.Image:
    colour = tuple(rng.randrange(256) for _ in range(3))
    pad_x, pad_y = image.width // 10, image.height // 10
    framed = Image.new("RGB", (image.width + 2 * pad_x, image.height + 2 * pad_y), colour)
    framed.paste(image, (pad_x, pad_y))
    return framed


def letterbox(image: Image.Image, _rng: random.Random) -> Image.Image:
    """Black bars to a 16:9 frame (or 9:16 for a wide image), then scaled to 1280 on the long side."""
    width, height = image.size
    if width / height < 16 / 9:
        frame = (max(width, round(height * 16 / 9)), height)
    else:
        frame = (width, round(width * 16 / 9))
    canvas = Image.new("RGB", frame, "black")
    canvas.paste(image, ((frame[0] - width) // 2, (frame[1] - height) // 2))
    canvas.thumbnail((1280, 1280), Image.Resampling.LANCZOS)
    return canvas


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


def distractors(image: Image.Image, rng: random.Random) -> list[Image.Image]:
    """Crops and tiles of a photo: related to it, but not re-uploads of it."""
    width, height = image.size
    tiles = [
        image.crop((x * width // 2, y * height // 2, (x + 1) * width // 2, (y + 1) * height // 2))
        for x in (0, 1)
        for y in (0, 1)
    ]
    centre = image.crop((width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    left = rng.randrange(width // 3)
    strip = image.crop((left, 0, left + width // 2, height))
    return [*tiles, centre, strip]


def synthetic_distractors() -> list[Image.Image]:
    """Images web pages are full of: flat fills, gradients, a line of text on white."""
    images = [Image.new("RGB", (640, 480), colour) for colour in ("white", "black", "#336699")]
    gradient = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    images += [gradient, gradient.rotate(90, expand=True)]
    text = Image.new("RGB", (640, 200), "white")
    ImageDraw.Draw(text).text((20, 80), "Sign in to continue", fill="black")
    images.append(text)
    return images


@dataclass(frozen=True)
class Closest:
    """The nearest an image came to one enrolled item."""

    pdq: int
    phash: int
    dhash: int
    slack: int  # min over orientations of max(phash - T_phash, dhash - T_dhash); <= 0 matches
    pair: tuple[int, int]


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
        return Closest(pdq=pdq, phash=64, dhash=64, slack=64, pair=(64, 64))
    best = min(pairs, key=lambda pd: max(pd[0] - settings.phash, pd[1] - settings.dhash))
    return Closest(
        pdq=pdq,
        phash=min(p for p, _ in pairs),
        dhash=min(d for _, d in pairs),
        slack=max(best[0] - settings.phash, best[1] - settings.dhash),
        pair=best,
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
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

    print(f"{len(paths)} photos, settings {settings}")
    web_sized = []
    for data in originals:
        picture = full_resolution(data)
        picture.thumbnail((1280, 1280), Image.Resampling.LANCZOS)
        web_sized.append(jpeg(picture, 85))
    enrol_rate = rate(lambda d: fingerprint_enrolled(d, max_pixels=MAX_PIXELS), originals)
    cand_rate = rate(lambda d: fingerprint_candidate(d, max_pixels=MAX_PIXELS), originals)
    web_rate = rate(lambda d: fingerprint_candidate(d, max_pixels=MAX_PIXELS), web_sized)
    print("\nThroughput, one core (CPU seconds):")
    print(f"  enrolment, the photos as they are ({_sizes(originals)}): {enrol_rate:7.1f} /s")
    print(f"  candidate, the photos as they are:                       {cand_rate:7.1f} /s")
    print(f"  candidate, web-sized JPEG (1280 px, q85):                {web_rate:7.1f} /s")

    enrolled = [fingerprint_enrolled(d, max_pixels=MAX_PIXELS) for d in originals]
    index = MatchIndex(
        (
            IndexEntry("bench", number, h)
            for number, hashes in enumerate(enrolled)
            for h in hashes
        ),
        settings=settings,
    )

    related: dict[str, list[tuple[int, Closest, bool]]] = {name: [] for name in TRANSFORMS}
    unrelated: list[tuple[str, int, Closest]] = []  # (what, enrolled item, distances)
    for number, data in enumerate(originals):
        picture = full_resolution(data)
        for name, (transform, quality) in TRANSFORMS.items():
            candidate = fingerprint_candidate(
                jpeg(transform(picture, rng), quality), max_pixels=MAX_PIXELS
            )
            matched = any(m.item_id == number for m in index.match(candidate))
            related[name].append((number, closest(candidate, enrolled[number], settings), matched))
            _compare_unrelated(unrelated, f"{name} of {names[number]}", candidate, enrolled,
                               skip=number, settings=settings)
        for piece_number, piece in enumerate(distractors(picture, rng)):
            candidate = fingerprint_candidate(jpeg(piece), max_pixels=MAX_PIXELS)
            _compare_unrelated(unrelated, f"crop {piece_number} of {names[number]}", candidate,
                               enrolled, skip=number, settings=settings)
    for piece_number, piece in enumerate(synthetic_distractors()):
        candidate = fingerprint_candidate(jpeg(piece), max_pixels=MAX_PIXELS)
        _compare_unrelated(unrelated, f"synthetic {piece_number}", candidate, enrolled,
                           skip=-1, settings=settings)

    _print_related(related, names, settings)
    _print_unrelated(unrelated, names, settings)
    return 0


def _compare_unrelated(
    out: list[tuple[str, int, Closest]],
    what: str,
    candidate: Sequence[Hash],
    enrolled: Sequence[Sequence[Hash]],
    *,
    skip: int,
    settings: MatchSettings,
) -> None:
    for other, hashes in enumerate(enrolled):
        if other != skip:
            out.append((what, other, closest(candidate, hashes, settings)))


def _print_related(
    related: dict[str, list[tuple[int, Closest, bool]]], names: list[str], settings: MatchSettings
) -> None:
    print("\nRe-uploads vs their own enrolment (worst photo = largest distance):")
    print(f"  {'transform':<16} {'recall':>7} {'by PDQ':>7} {'by p+d':>7}"
          f" {'worst PDQ':>10} {'worst pHash':>12} {'worst dHash':>12}  worst-PDQ photo")
    for name, rows in related.items():
        count = len(rows)
        by_pdq = sum(c.pdq <= settings.pdq for _, c, _ in rows)
        by_pair = sum(c.slack <= 0 for _, c, _ in rows)
        matched = sum(m for _, _, m in rows)
        worst = max(rows, key=lambda row: row[1].pdq)
        print(
            f"  {name:<16} {matched:>3}/{count:<3} {by_pdq:>3}/{count:<3} {by_pair:>3}/{count:<3}"
            f" {worst[1].pdq:>10} {max(c.phash for _, c, _ in rows):>12}"
            f" {max(c.dhash for _, c, _ in rows):>12}  {names[worst[0]]}"
        )
        for number, distance, ok in rows:
            if not ok:
                print(f"      MISSED {names[number]}: {distance}")


def _print_unrelated(
    unrelated: list[tuple[str, int, Closest]], names: list[str], settings: MatchSettings
) -> None:
    print(f"\nUnrelated pairs: {len(unrelated):,} (image, enrolled photo) pairs")
    for label, key in (
        ("PDQ", lambda row: row[2].pdq),
        ("pHash", lambda row: row[2].phash),
        ("dHash", lambda row: row[2].dhash),
        ("p+d slack", lambda row: row[2].slack),
    ):
        ordered = sorted(unrelated, key=key)[:3]
        shown = "; ".join(
            f"{key(row)} ({row[0]} ~ {names[row[1]]}"
            + (f", pHash/dHash {row[2].pair}" if label == "p+d slack" else "")
            + ")"
            for row in ordered
        )
        print(f"  closest {label:<9}: {shown}")
    false_matches = [
        row for row in unrelated if row[2].pdq <= settings.pdq or row[2].slack <= 0
    ]
    print(f"  false matches at these settings: {len(false_matches)}")
    for what, other, distance in false_matches[:20]:
        print(f"      {what} ~ {names[other]}: {distance}")


def _sizes(items: Sequence[bytes]) -> str:
    return f"{sum(len(i) for i in items) / len(items) / 1e6:.1f} MB average"


if __name__ == "__main__":
    sys.exit(main())
