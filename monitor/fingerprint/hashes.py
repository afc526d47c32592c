"""The hash value type and the distance between two hashes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from monitor.fingerprint.masks import MASKED_VARIANTS
from monitor.fingerprint.proposals import PROPOSAL_VARIANTS
from monitor.fingerprint.regions import HALF_VARIANTS, REGION_VARIANTS

# Hex characters of each algorithm's hash: PDQ is 256 bits, pHash and dHash 64 bits.
HEX_LENGTHS: Final = {"pdq": 64, "phash": 16, "dhash": 16}
ALGORITHMS: Final = tuple(HEX_LENGTHS)

# The eight orientations of the enrolled image (the dihedral group). Rotations are
# counter-clockwise; "flip" is a left-right mirror, and "flip-rotN" is that mirror rotated by N.
ORIENTATIONS: Final = (
    "original",
    "rot90",
    "rot180",
    "rot270",
    "flip",
    "flip-rot90",
    "flip-rot180",
    "flip-rot270",
)
# What a whole-picture hash was computed from: an orientation of the image as it is, or of the
# image with its flat borders (frames, letterbox bars) cut off ("trimmed-original", ...).
WHOLE_VARIANTS: Final = ORIENTATIONS + tuple(f"trimmed-{name}" for name in ORIENTATIONS)
# Every variant: whole pictures, large regions of an enrolled picture ("win80-tl", "cols70-l",
# "tilt+5-inner"; see `regions`), rectangles found inside a candidate ("part-bands",
# "part-cell1"; see `proposals`) and the picture with a block near its middle blanked
# ("masked-tl"; see `masks`).
# An enrolled picture brightened until its highlights clip, as a brightened re-upload's are
# (PDQ only; see `fingerprinter.BRIGHTENED_GAIN`).
BRIGHTENED_VARIANT: Final = "brightened"
# A PDQ below the quality floor, kept for a flat picture, is marked "flat-" and matches only
# within the tighter `flat_pdq` bits (`matching`): a candidate as it is ("flat-original",
# "flat-trimmed-original"), and halves, blanked middles and the brightened picture on both sides.
FLAT_PREFIX: Final = "flat-"
FLAT_VARIANTS: Final = tuple(
    FLAT_PREFIX + name
    for name in (
        "original",
        "trimmed-original",
        *HALF_VARIANTS,
        *MASKED_VARIANTS,
        BRIGHTENED_VARIANT,
    )
)
VARIANTS: Final = (
    WHOLE_VARIANTS
    + REGION_VARIANTS
    + PROPOSAL_VARIANTS
    + MASKED_VARIANTS
    + (BRIGHTENED_VARIANT,)
    + FLAT_VARIANTS
)


def is_flat(item: Hash) -> bool:
    """Whether the hash is a flat picture's PDQ, matched only within `flat_pdq`."""
    return item.variant.startswith(FLAT_PREFIX)


_HEX_DIGITS: Final = frozenset("0123456789abcdef")
# A sampled frame of a video: "f0012" is its 13th frame as it is, ":flip" mirrored, ":trimmed"
# with flat borders cut off, ":crop43"/":crop11" its middle at 4:3 or square, as thumbnails are
# cut (see `monitor.fingerprint.video`).
FRAME_VARIANT: Final = re.compile(r"f\d{4,6}(?::(?:flip|trimmed|trimmed-flip|crop43|crop11))?")


@dataclass(frozen=True)
class Hash:
    """One perceptual hash of one orientation of an image, as lowercase hex.

    PDQ hex is `np.packbits(bits).hex()` of `pdqhash.compute`'s 256 bits, the order that
    ThreatExchange and other PDQ hash-sharing tools use.
    """

    algorithm: str
    hex: str
    variant: str = "original"

    def __post_init__(self) -> None:
        expected = HEX_LENGTHS.get(self.algorithm)
        if expected is None:
            raise ValueError(
                f"unknown hash algorithm {self.algorithm!r}; use one of {', '.join(ALGORITHMS)}"
            )
        if len(self.hex) != expected:
            raise ValueError(
                f"a {self.algorithm} hash is {expected} hex characters, "
                f"got {len(self.hex)}: {self.hex[:80]!r}"
            )
        if not _HEX_DIGITS.issuperset(self.hex):
            raise ValueError(
                f"a {self.algorithm} hash must be lowercase hex (0-9, a-f), got {self.hex[:80]!r}"
            )
        if self.variant not in VARIANTS and not FRAME_VARIANT.fullmatch(self.variant):
            raise ValueError(
                f"unknown variant {self.variant!r}; use an orientation "
                f'({", ".join(ORIENTATIONS)}), one prefixed with "trimmed-", a region '
                '(e.g. "win90-c", "cols70-l", "tilt+5-inner"), a candidate part ("part-bands", '
                '"part-cell1", "part-inset1"), a blanked middle ("masked-tl", ...), '
                '"brightened", a flat PDQ ("flat-original", "flat-half-l", "flat-masked-tl", ...), '
                'or a video frame ("f0012", "f0012:flip", "f0012:trimmed", "f0012:trimmed-flip")'
            )


def bits_hex(bits: npt.NDArray[np.bool_]) -> str:
    """Hex of a hash's bits, first bit highest (rows one after another for a 2-D array): the
    form `Hash` stores, as `str(imagehash...)` and PDQ hash-sharing tools write it."""
    return np.packbits(bits).tobytes().hex()


def hamming(a_hex: str, b_hex: str) -> int:
    """Number of differing bits between two hex hashes of the same length."""
    if len(a_hex) != len(b_hex):
        raise ValueError(
            f"cannot compare hashes of different lengths ({len(a_hex)} and {len(b_hex)} hex)"
        )
    return (int(a_hex, 16) ^ int(b_hex, 16)).bit_count()
