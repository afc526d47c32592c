"""Image -> perceptual hashes: PDQ (256 bits), pHash and dHash (64 bits each).

Enrolment is done once per image, so it pays for all eight orientations (rotations and mirrors);
a candidate, of which there are many, is hashed once, as it is. Matching the candidate against
every enrolled orientation then finds rotated and mirrored re-uploads.

Borders: an image with near-constant bars at its edges is hashed twice, as it is and with the
bars cut off (variants named "trimmed..."). Re-uploads that add a border or letterboxing match
through the trimmed hashes; re-uploads that change colours or brightness, which can move the
point where trimming stops, still match through the untrimmed ones.
"""

from __future__ import annotations

from typing import Final

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from monitor.fingerprint.decode import decode_image
from monitor.fingerprint.hashes import ORIENTATIONS, Hash
from monitor.fingerprint.trim import trim_borders

# Hashing works on the image scaled to fit in this square: PDQ reduces to 64x64 and pHash to
# 32x32 anyway, and at this size PDQ stays within a few bits of the reference implementation's
# hashes of the full-size file (see tests/fingerprint/test_reference_vectors.py).
HASHING_SIDE: Final = 512

# Below this PDQ quality (0-100) the image is too flat for its PDQ to mean anything: a candidate's
# PDQ is then left out, so it cannot match through PDQ (a flat candidate can still match through
# pHash+dHash). ThreatExchange cuts at 50, but tiles of flat two-tone graphics at quality 52-53
# came within 18-22 bits of unrelated graphics (`python -m tests.bench.accuracy`); no re-upload
# in that benchmark needs a PDQ of quality 50-59 to be found.
MIN_PDQ_QUALITY: Final = 60

# A picture whose grey levels vary less than this (standard deviation of a 64x64 thumbnail,
# 0-255 scale) is blank: a placeholder, a flat fill. Its pHash and dHash are near-zero noise that
# equals every other blank or barely structured picture's, so it gets none, enrolled or not.
# Measured: blank pictures 0.0-0.2, a watermarked blank overlay 2.7 (it false-matched a flat
# graphic through pHash+dHash), the darkest real photo in the calibration set 3.2, the darkest
# re-upload in the accuracy benchmark 4.4.
MIN_GREY_DEVIATION: Final = 3.0

_TRANSPOSE = Image.Transpose
# PDQ and pHash are computed on really transposed pixels: pdqhash.compute_dihedral derives the
# other orientations from the DCT of one, and that is 30-90 bits off for fine textures.
_ORIENTATION_STEPS: Final[dict[str, tuple[Image.Transpose, ...]]] = {
    "original": (),
    "rot90": (_TRANSPOSE.ROTATE_90,),
    "rot180": (_TRANSPOSE.ROTATE_180,),
    "rot270": (_TRANSPOSE.ROTATE_270,),
    "flip": (_TRANSPOSE.FLIP_LEFT_RIGHT,),
    "flip-rot90": (_TRANSPOSE.FLIP_LEFT_RIGHT, _TRANSPOSE.ROTATE_90),
    "flip-rot180": (_TRANSPOSE.FLIP_LEFT_RIGHT, _TRANSPOSE.ROTATE_180),
    "flip-rot270": (_TRANSPOSE.FLIP_LEFT_RIGHT, _TRANSPOSE.ROTATE_270),
}


def fingerprint_enrolled(data: bytes, *, max_pixels: int) -> tuple[Hash, ...]:
    """All hashes of an image to watch for: PDQ, pHash and dHash of each of its 8 orientations.

    24 hashes, or 48 when the image has flat borders (the "trimmed-..." variants too).
    """
    return fingerprint_image(decode_image(data, max_pixels=max_pixels), variants=True)


def fingerprint_candidate(data: bytes, *, max_pixels: int) -> tuple[Hash, ...]:
    """The hashes of an image found on the web, in its own orientation only.

    One PDQ, pHash and dHash (variant "original"), and a second set ("trimmed-original") when
    the image has borders; fewer when it is flat (see `fingerprint_image`).
    """
    return fingerprint_image(decode_image(data, max_pixels=max_pixels), variants=False)


def fingerprint_image(image: Image.Image, *, variants: bool) -> tuple[Hash, ...]:
    """Hash a decoded image: PDQ, pHash and dHash, as it is and, if it has borders, trimmed.

    `variants=True` (enrolment) hashes all 8 orientations; `variants=False` (candidates) only
    the image's own. Hashes a flat picture cannot support are left out, as their values would be
    noise that matches other flat pictures: pHash and dHash of a blank picture
    (`MIN_GREY_DEVIATION`), and a candidate's PDQ when its quality is below `MIN_PDQ_QUALITY`.
    A blank candidate gets no hashes at all; a blank enrolled image gets only PDQ.
    """
    rgb = image.convert("RGB")
    # Trim before scaling: at full size the edge between a border and the picture is sharper.
    trimmed = trim_borders(rgb)
    versions = [("", _scaled_for_hashing(rgb))]
    if trimmed is not rgb:
        versions.append(("trimmed-", _scaled_for_hashing(trimmed)))
    orientations = ORIENTATIONS if variants else ("original",)
    hashes: list[Hash] = []
    for prefix, version in versions:
        for orientation in orientations:
            oriented = version
            for step in _ORIENTATION_STEPS[orientation]:
                oriented = oriented.transpose(step)
            hashes.extend(_hash_one(oriented, variant=prefix + orientation, keep_flat_pdq=variants))
    return tuple(hashes)


def _hash_one(image: Image.Image, *, variant: str, keep_flat_pdq: bool) -> list[Hash]:
    bits, quality = pdqhash.compute(np.asarray(image))
    hashes = []
    if keep_flat_pdq or quality >= MIN_PDQ_QUALITY:
        hashes.append(Hash("pdq", np.packbits(bits.astype(np.uint8)).tobytes().hex(), variant))
    grey = image.convert("L")
    if not _is_blank(grey):
        hashes.append(Hash("phash", str(imagehash.phash(grey)), variant))
        hashes.append(Hash("dhash", str(imagehash.dhash(grey)), variant))
    return hashes


def _is_blank(grey: Image.Image) -> bool:
    thumbnail = np.asarray(grey.resize((64, 64), Image.Resampling.BOX), dtype=np.float32)
    return float(thumbnail.std()) < MIN_GREY_DEVIATION


def _scaled_for_hashing(image: Image.Image) -> Image.Image:
    if max(image.size) <= HASHING_SIDE:
        return image
    scaled = image.copy()
    scaled.thumbnail((HASHING_SIDE, HASHING_SIDE), Image.Resampling.LANCZOS)
    return scaled
