"""Our PDQ against the hashes Meta's reference implementation prints for the same files.

Lists from hash-sharing tools are made with that implementation; a fingerprint we compute must
land close enough to theirs to match (a few bits: decoders and resampling differ).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from monitor.fingerprint import fingerprint_candidate, fingerprint_enrolled, hamming
from monitor.fingerprint.hashes import BRIGHTENED_VARIANT
from tests.fingerprint.conftest import MAX_PIXELS

CLOSE_TO_REFERENCE = 12

# Which orientation of bridge-1-original.jpg each bridge-* file shows, in our variant names.
BRIDGE_VARIANTS = {
    "bridge-1-original.jpg": "original",
    "bridge-2-rotate-90.jpg": "rot90",
    "bridge-3-rotate-180.jpg": "rot180",
    "bridge-4-rotate-270.jpg": "rot270",
    "bridge-5-flipx.jpg": "flip-rot180",
    "bridge-6-flipy.jpg": "flip",
    "bridge-7-flip-plus-1.jpg": "flip-rot90",
    "bridge-8-flip-minus-1.jpg": "flip-rot270",
}


def _expected(reference_dir: Path) -> dict[str, str]:
    with (reference_dir / "expected.csv").open(newline="") as handle:
        return {row["file"]: row["pdq_hex"] for row in csv.DictReader(handle)}


def test_every_reference_file_hashes_close_to_the_reference(reference_dir: Path) -> None:
    expected = _expected(reference_dir)
    assert len(expected) >= 20
    distances = {}
    for name, reference in expected.items():
        hashes = fingerprint_candidate((reference_dir / name).read_bytes(), max_pixels=MAX_PIXELS)
        ours = [h for h in hashes if h.algorithm == "pdq" and h.variant == "original"]
        assert len(ours) == 1, name
        distances[name] = hamming(ours[0].hex, reference)
    assert max(distances.values()) <= CLOSE_TO_REFERENCE, distances


def test_bridge_orientations_match_our_enrolled_variants(reference_dir: Path) -> None:
    expected = _expected(reference_dir)
    enrolled = fingerprint_enrolled(
        (reference_dir / "bridge-1-original.jpg").read_bytes(), max_pixels=MAX_PIXELS
    )
    ours = {h.variant: h.hex for h in enrolled if h.algorithm == "pdq"}
    for name, variant in BRIDGE_VARIANTS.items():
        assert hamming(ours[variant], expected[name]) <= CLOSE_TO_REFERENCE, (name, variant)
        # (The picture brightened is near the original: it is the same orientation.)
        others = [
            hamming(hex_, expected[name])
            for v, hex_ in ours.items()
            if v not in (variant, BRIGHTENED_VARIANT)
        ]
        assert min(others) > 31, (name, "also close to another orientation")


def test_edits_of_the_reference_photo_stay_close_and_the_unrelated_one_does_not(
    reference_dir: Path,
) -> None:
    expected = _expected(reference_dir)
    original = expected["aaa-orig.jpg"]
    for name, reference in expected.items():
        if name.startswith(("bridge-", "aaa-")) or name == "bridge-1-original.jpg":
            continue
        distance = hamming(original, reference)
        if name == "pen-and-coaster.png":
            assert distance > 100
        else:
            assert distance <= 31, name


@pytest.mark.parametrize("name", sorted(BRIDGE_VARIANTS))
def test_each_bridge_file_as_a_candidate_matches_the_enrolled_original(
    reference_dir: Path, name: str
) -> None:
    enrolled = fingerprint_enrolled(
        (reference_dir / "bridge-1-original.jpg").read_bytes(), max_pixels=MAX_PIXELS
    )
    candidate = fingerprint_candidate((reference_dir / name).read_bytes(), max_pixels=MAX_PIXELS)
    pdq = next(h for h in candidate if h.algorithm == "pdq")
    by_variant = {h.variant: h.hex for h in enrolled if h.algorithm == "pdq"}
    assert hamming(pdq.hex, by_variant[BRIDGE_VARIANTS[name]]) <= CLOSE_TO_REFERENCE
