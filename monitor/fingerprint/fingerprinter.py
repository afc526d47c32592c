"""Image -> perceptual hashes: PDQ (256 bits), pHash and dHash (64 bits each).

Enrolment is done once per image, so it pays for all eight orientations (rotations and mirrors);
a candidate, of which there are many, is hashed once, as it is. Matching the candidate against
every enrolled orientation then finds rotated and mirrored re-uploads. For the same reason a
candidate is scaled to the hashing size the faster way, within a few bits of enrolment's hashes
of the same pixels (`_candidate_scaled`).

Borders: an image with near-constant bars at its edges is hashed twice, as it is and with the
bars cut off (variants named "trimmed..."). Re-uploads that add a border or letterboxing match
through the trimmed hashes; re-uploads that change colours or brightness, which can move the
point where trimming stops, still match through the untrimmed ones.

Crops, strips and tilts: enrolment also stores the PDQ, pHash and dHash of about ninety large
regions of the picture (`regions`: every one at least half its width and half its height), so a
re-upload that keeps only part of the picture, or tilts it, lands near one of them; pHash and
dHash of regions match at tighter thresholds than the whole picture's. Composites: a candidate is
also searched for rectangles that may be a picture inside it (`proposals`: caption bands and app
chrome cut off, collage cells, a picture pasted into another, the upright middle of a picture
tilted on a filled canvas), and each is hashed with pHash and dHash, and with PDQ if its quality
is high enough. Overlays: both sides hash the picture's four halves (PDQ, and pHash and dHash:
`half_hashes`), so a sticker or caption on one half leaves the other to match, and the picture
with each of four blocks near its middle blanked (`masks`), for a sticker over the middle. Flat
pictures: below the PDQ quality floor a PDQ is kept for a candidate as it is and for halves and
blanked middles, marked "flat-", and matched within a tighter distance (`MIN_FLAT_PDQ_QUALITY`).
Brightening: the enrolled picture is also hashed with its highlights clipped (`BRIGHTENED_GAIN`).
The match rule is in `MatchSettings`; the accuracy benchmark measures the false matches these
extra hashes could bring.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import imagehash
import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from monitor.fingerprint.decode import decode_image
from monitor.fingerprint.half_hashes import half_small_hashes
from monitor.fingerprint.hashes import (
    BRIGHTENED_VARIANT,
    FLAT_PREFIX,
    ORIENTATIONS,
    Hash,
    bits_hex,
)
from monitor.fingerprint.masks import masked_samples
from monitor.fingerprint.pdq import hash_samples, pdq_with_samples, samples, samples_quality
from monitor.fingerprint.proposals import picture_proposals, snap_box
from monitor.fingerprint.regions import (
    HALF_SIDE,
    HALF_VARIANTS,
    half_boxes,
    tilted_versions,
    window_boxes,
)
from monitor.fingerprint.trim import border_box

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
# A rectangle proposed inside a candidate ("part-..."; `proposals`) needs a higher PDQ quality:
# proposals are cut from every candidate, flat wallpaper tiles included, and a collage cell
# wrongly found in a tile of a flat wallpaper, at quality 63, came within 22 bits of an unrelated
# flat wallpaper. Of the re-uploads in the accuracy benchmark found only through a part, 6 (of
# three flat wallpapers) have parts of quality 61-64 and are lost at this floor; the others' are
# 68 or more.
MIN_PART_PDQ_QUALITY: Final = 65
# A flat picture's PDQ (quality below those floors, but at least this) is still kept for the
# candidate as it is, and for halves and blanked middles on both sides, marked "flat-", and
# matched only within the tighter `flat_pdq` bits. Re-encoding the same flat picture changes
# such a PDQ by 0-10 bits: its bits follow what little structure there is, not noise of the
# encoding. With them, stickers on flat wallpapers and gradients are found (accuracy benchmark:
# 6 more of 48 stickers, one more text overlay). Below 10 a picture is nearly a single colour
# and its bits are rounding noise, unless it is not blank (`MIN_GREY_DEVIATION`, on its PDQ
# samples): the quality counts only steps of 1% or more between neighbouring samples, so a smooth
# gradient or a dim picture scores 0-9 however much it varies (the upper half of a benchmark
# wallpaper: quality 9, deviation 33; a dark one's halves: quality 0-2, deviation 6-7). Kept so,
# a sticker over the logo of a pale graphic is found through its blanked middles.
MIN_FLAT_PDQ_QUALITY: Final = 10

# Brightening a picture clips its highlights, and what was a pale backdrop's shading is gone: a
# logo on a near-white backdrop brightened by 30% was 26 bits from its PDQ, at quality 33. So the
# enrolled picture is hashed brightened by this gain too ("brightened"), the pixels clipped as an
# editor clips them: over the accuracy benchmark's photos, a re-upload brightened by 30% is 0-4
# bits from it where it is 0-26 bits from the picture's own PDQ.
BRIGHTENED_GAIN: Final = 1.3

# A picture whose grey levels vary less than this (standard deviation of a 64x64 thumbnail,
# 0-255 scale) is blank: a placeholder, a flat fill. Its pHash and dHash are near-zero noise that
# equals every other blank or barely structured picture's, so it gets none, enrolled or not.
# Measured: blank pictures 0.0-0.2, a watermarked blank overlay 2.7 (it false-matched a flat
# graphic through pHash+dHash), the darkest real photo in the calibration set 3.2, the darkest
# re-upload in the accuracy benchmark 4.4.
MIN_GREY_DEVIATION: Final = 3.0

# A candidate's trimmed version is hashed only when what is left after its flat borders is at
# least this share of each side and of the area: a remnant smaller than that is a scrap on a flat
# canvas, not a picture in a frame (letterboxing leaves a third of the height or more), and such
# two-tone scraps of one flat wallpaper came within 12+4 bits of another's (pHash+dHash, the
# accuracy benchmark). A picture small on a plain canvas is still found as a proposal ("part-").
MIN_TRIMMED_SIDE_SHARE: Final = 0.25
MIN_TRIMMED_AREA_SHARE: Final = 0.25

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

# A PDQ: 256 bits, the quality (0-100) and the 64x64 samples hashed, where they are at hand.
Pdq = tuple[npt.NDArray[np.bool_], int, npt.NDArray[np.float32] | None]
# A PDQ function: an RGB array -> its `Pdq`.
PdqFunction = Callable[[npt.NDArray[np.uint8]], Pdq]


def _reference_pdq(rgb: npt.NDArray[np.uint8]) -> Pdq:
    bits, quality = pdqhash.compute(rgb)
    return bits.astype(np.bool_), int(quality), None


def fingerprint_enrolled(data: bytes, *, max_pixels: int) -> tuple[Hash, ...]:
    """All hashes of an image to watch for: PDQ, pHash and dHash of each of its 8 orientations,
    of its large regions (crops, strips, tilts; see `regions`) and of its four halves, and PDQ
    of it with a block near its middle blanked (`masks`) and brightened ("brightened").

    24 whole-picture hashes (48 when the image has flat borders: the "trimmed-..." variants
    too), plus up to three per region and per half, one per blanked block and one brightened (a
    PDQ is left out where the region is too flat for it, a pHash and dHash where it is blank):
    about 275 for a photograph.
    """
    return fingerprint_image(decode_image(data, max_pixels=max_pixels), variants=True)


def fingerprint_candidate(data: bytes, *, max_pixels: int) -> tuple[Hash, ...]:
    """The hashes of an image found on the web, in its own orientation only.

    One PDQ, pHash and dHash (variant "original"), and a second set ("trimmed-original") when
    the image has borders; fewer when it is flat (see `fingerprint_image`). Then the PDQ, pHash
    and dHash of each rectangle that may be a picture inside it ("part-..."; see `proposals`),
    of its four halves ("half-l", ...), and the PDQ of it with a block near its middle blanked
    ("masked-tl", ...).
    """
    return fingerprint_image(decode_image(data, max_pixels=max_pixels), variants=False)


def fingerprint_image(image: Image.Image, *, variants: bool) -> tuple[Hash, ...]:
    """Hash a decoded image: PDQ, pHash and dHash, as it is and, if it has borders, trimmed.

    `variants=True` (enrolment) hashes all 8 orientations, the picture's large regions and its
    halves; `variants=False` (candidates) only the image's own orientation, the rectangles inside
    it that may be an embedded picture, and its halves. Hashes a flat picture cannot support are
    left out, as their values would be noise that matches other flat pictures: pHash and dHash of
    a blank picture (`MIN_GREY_DEVIATION`), and a candidate's PDQ, and any region's, when its
    quality is below `MIN_PDQ_QUALITY` (`MIN_PART_PDQ_QUALITY` for a candidate's parts). A blank
    candidate gets no hashes at all; a blank enrolled image gets only PDQ.
    """
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    if variants:
        scaled, trimmed = _enrolled_versions(rgb)
        trimmed_box = None
    else:
        scaled, trimmed, trimmed_box = _candidate_versions(rgb)
    versions = [("", scaled)]
    if trimmed is not None:
        versions.append(("trimmed-", trimmed))
    orientations = ORIENTATIONS if variants else ("original",)
    # An enrolled picture's PDQs of itself and its regions are the reference implementation's, as
    # other hash-sharing tools compute them; a candidate's are the same bits (for every PDQ it
    # keeps) in a quarter of the time. Blanked middles (`masks`) have no reference: both sides
    # compute them from `pdq.samples`.
    compute_pdq = _reference_pdq if variants else pdq_with_samples
    # The samples of the picture as it is serve the blanked middles on both sides, and a
    # candidate's own PDQ (computed from them once instead of twice).
    scaled_samples = samples(np.asarray(scaled))
    hashes: list[Hash] = []
    for prefix, version in versions:
        for orientation in orientations:
            oriented = version
            for step in _ORIENTATION_STEPS[orientation]:
                oriented = oriented.transpose(step)
            if not variants and oriented is scaled and scaled_samples is not None:
                pdq_of: Pdq = (*hash_samples(scaled_samples), scaled_samples)
            else:
                pdq_of = compute_pdq(np.asarray(oriented))
            hashes.extend(
                _hash_one(
                    oriented, variant=prefix + orientation, pdq_of=pdq_of, keep_flat_pdq=variants
                )
            )
    if not hashes:
        return ()
    # Halves' pHash and dHash; none for a blank picture, as it gets none of its own (a mark on
    # it would have them in its half).
    if scaled_samples is not None and any(h.algorithm == "phash" for h in hashes):
        hashes.extend(half_small_hashes(scaled, scaled_samples, min_deviation=MIN_GREY_DEVIATION))
    if variants:
        # Regions of the picture as it is, flat edges included: a re-uploader crops or tilts the
        # whole picture, and "borders" of an original are mostly its own sky or backdrop. Cut
        # from the trimmed picture instead, crops and tilts of the 15 (of 48) benchmark pictures
        # with flat edges were lost: 11 of the crops by 20% off-centre, 12 of the 5-degree tilts.
        regions = _regions(rgb)
    else:
        # Found on the hashing-size copy, cut from the decoded picture: a picture inside a
        # screenshot or collage is small, and cut from the small copy it would alias.
        back = (rgb.width / scaled.width, rgb.height / scaled.height)
        regions = [
            (name, _part_scaled(rgb.crop(_scale_box(area, back))))
            for name, area in picture_proposals(scaled, already=trimmed_box)
        ]
    # pHash and dHash of every enrolled region (matched at the tighter `region_phash` and
    # `region_dhash`) and of every part of a candidate: they find pictures too flat for PDQ, and
    # parts PDQ missed by a few bits (in the accuracy benchmark, 13 more memes and screenshots of
    # 96, 8 more collages and 6 more pictures inside another of 48 each, 6 more tilts).
    hashes.extend(
        found for name, region in regions for found in _small_hashes(region, variant=name)
    )
    regions += _halves(scaled)
    floor = MIN_PDQ_QUALITY if variants else MIN_PART_PDQ_QUALITY
    hashes.extend(
        found
        for name, region in regions
        if (
            found := _region_pdq(
                region, name, pdq=compute_pdq, floor=floor, keep_flat=name in HALF_VARIANTS
            )
        )
    )
    hashes.extend(_masked_pdqs(scaled_samples, scaled.size, floor=floor))
    if variants and (brightened := _brightened_pdq(scaled)) is not None:
        hashes.append(brightened)
    return tuple(hashes)


def _enrolled_versions(rgb: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """The enrolled picture scaled for hashing, and the same with its flat borders cut off (None
    when it has none)."""
    # Trim before scaling: at full size the edge between a border and the picture is sharper.
    box = border_box(rgb)
    scaled = _scaled_for_hashing(rgb)
    return scaled, (None if box == (0, 0, *rgb.size) else _scaled_for_hashing(rgb.crop(box)))


def _candidate_versions(
    rgb: Image.Image,
) -> tuple[Image.Image, Image.Image | None, tuple[int, int, int, int] | None]:
    """A candidate scaled for hashing; the same with its flat borders cut off, and where that
    sits in the scaled one (None, None when it has no borders or they leave a scrap).

    A candidate, of which there are many, is scaled once, the faster way (`_candidate_scaled`),
    and trimmed on that copy: a trimmed copy cut from the decoded picture and scaled again cost
    3 ms more per candidate (a quarter of plain PDQ+pHash's time)."""
    scaled = _candidate_scaled(rgb)
    box = border_box(scaled)
    if box == (0, 0, *scaled.size) or not _big_enough(box, scaled.size):
        return scaled, None, None
    # Found on the small copy, the edges are a pixel or two off at full size, and PDQ notices
    # (a 1-pixel shift cost 6-8 bits of a letterboxed picture, 2 pixels 18): each is snapped onto
    # the strongest step near it in the decoded picture. The trimmed picture is then resampled
    # from the small copy at those exact (fractional) edges, to the size enrolment would hash it
    # at: as close as cutting it from the decoded picture (2-4 bits), at a third of the time.
    back = (rgb.width / scaled.width, rgb.height / scaled.height)
    reach = max(2, round(max(back) * 1.5))
    left, top, right, bottom = snap_box(np.asarray(rgb), _scale_box(box, back), reach=reach)
    size = (right - left, bottom - top)
    edges = (left / back[0], top / back[1], right / back[0], bottom / back[1])
    trimmed = scaled.resize(_fitted_size(size) or size, Image.Resampling.LANCZOS, box=edges)
    return scaled, trimmed, box


def _big_enough(box: tuple[int, int, int, int], size: tuple[int, int]) -> bool:
    """Whether a trimmed box keeps enough of a picture of `size` (`MIN_TRIMMED_SIDE_SHARE` of
    each side, `MIN_TRIMMED_AREA_SHARE` of the area)."""
    width, height = box[2] - box[0], box[3] - box[1]
    return (
        min(width / size[0], height / size[1]) >= MIN_TRIMMED_SIDE_SHARE
        and width * height >= size[0] * size[1] * MIN_TRIMMED_AREA_SHARE
    )


def _regions(picture: Image.Image) -> list[tuple[str, Image.Image]]:
    """The picture's large regions, each cut (or tilted) from a copy twice the hashing size and
    then scaled like a candidate: a cropped or tilted re-upload is cut from the full picture and
    scaled afterwards, and fine textures alias differently when cut from a small copy."""
    working = picture.copy()
    working.thumbnail((2 * HASHING_SIDE, 2 * HASHING_SIDE), Image.Resampling.BOX)
    regions = [(name, working.crop(area)) for name, area in window_boxes(working.size)]
    regions += tilted_versions(working)
    return [(name, _scaled_for_hashing(region)) for name, region in regions]


def _halves(scaled: Image.Image) -> list[tuple[str, Image.Image]]:
    """The halves of the picture (`regions.half_boxes`), cut from a copy fit to `HALF_SIDE`."""
    if max(scaled.size) == 2 * HALF_SIDE:
        small = scaled.reduce(2)  # what a box-filtered thumbnail gives, without copying first
    else:
        small = scaled.copy()
        small.thumbnail((HALF_SIDE, HALF_SIDE), Image.Resampling.BOX)
    return [(name, small.crop(box)) for name, box in half_boxes(small.size)]


def _masked_pdqs(
    found: npt.NDArray[np.float32] | None, size: tuple[int, int], *, floor: int
) -> tuple[Hash, ...]:
    """PDQ of the picture (its PDQ samples `found`, its `size`) with each block near its middle
    blanked (`masks`), when the picture and the blanked version both have a quality of at least
    `floor`: a blanked block's edges add steps of their own, and would lift a flat picture over
    the floor. A flat picture's are kept marked "flat-" (`MIN_FLAT_PDQ_QUALITY`)."""
    if found is None:
        return ()
    own_quality = samples_quality(found)
    if not _keeps_flat_pdq(own_quality, found):
        return ()
    hashes = []
    for name, blanked in masked_samples(found, size):
        bits, quality = hash_samples(blanked)
        if own_quality >= floor and quality >= floor:
            hashes.append(Hash("pdq", bits_hex(bits), name))
        elif _keeps_flat_pdq(quality, blanked):
            hashes.append(Hash("pdq", bits_hex(bits), FLAT_PREFIX + name))
    return tuple(hashes)


def _brightened_pdq(scaled: Image.Image) -> Hash | None:
    """The reference PDQ of the enrolled picture brightened by `BRIGHTENED_GAIN`, clipped."""
    lifted = np.minimum(np.asarray(scaled, dtype=np.float32) * BRIGHTENED_GAIN, 255)
    rgb = np.ascontiguousarray(lifted.round().astype(np.uint8))
    bits, quality, _none = _reference_pdq(rgb)
    if quality >= MIN_PDQ_QUALITY:
        return Hash("pdq", bits_hex(bits), BRIGHTENED_VARIANT)
    if _keeps_flat_pdq(quality, None, rgb):
        return Hash("pdq", bits_hex(bits), FLAT_PREFIX + BRIGHTENED_VARIANT)
    return None


def _keeps_flat_pdq(
    quality: int,
    found: npt.NDArray[np.float32] | None,
    picture: Image.Image | npt.NDArray[np.uint8] | None = None,
) -> bool:
    """Whether a PDQ under the floors is still worth keeping, marked "flat-": its quality is at
    least `MIN_FLAT_PDQ_QUALITY`, or its samples (`found`, else computed from `picture`) are not
    blank (`MIN_GREY_DEVIATION`)."""
    if quality >= MIN_FLAT_PDQ_QUALITY:
        return True
    if found is None and picture is not None:
        found = samples(np.asarray(picture))
    return found is not None and float(found.std()) >= MIN_GREY_DEVIATION


def _region_pdq(
    region: Image.Image, variant: str, *, pdq: PdqFunction, floor: int, keep_flat: bool
) -> Hash | None:
    """The region's PDQ if its quality reaches `floor`; with `keep_flat`, a flatter one's marked
    "flat-" (`MIN_FLAT_PDQ_QUALITY`)."""
    pixels = np.asarray(region)
    bits, quality, found = pdq(pixels)
    if quality >= floor:
        return Hash("pdq", bits_hex(bits), variant)
    if keep_flat and _keeps_flat_pdq(quality, found, pixels):
        return Hash("pdq", bits_hex(bits), FLAT_PREFIX + variant)
    return None


def _scale_box(
    box: tuple[int, int, int, int], factors: tuple[float, float]
) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    x_factor, y_factor = factors
    return (
        round(left * x_factor),
        round(top * y_factor),
        round(right * x_factor),
        round(bottom * y_factor),
    )


def _hash_one(
    image: Image.Image,
    *,
    variant: str,
    pdq_of: Pdq,
    keep_flat_pdq: bool,
) -> list[Hash]:
    """The image's PDQ (computed already: `pdq_of`), pHash and dHash."""
    bits, quality, found = pdq_of
    hashes = []
    if keep_flat_pdq or quality >= MIN_PDQ_QUALITY:
        hashes.append(Hash("pdq", bits_hex(bits), variant))
    elif _keeps_flat_pdq(quality, found, image):
        hashes.append(Hash("pdq", bits_hex(bits), FLAT_PREFIX + variant))
    return hashes + _small_hashes(image, variant=variant)


def _small_hashes(image: Image.Image, *, variant: str) -> list[Hash]:
    """pHash and dHash (64 bits each), or nothing for a blank picture."""
    grey = image.convert("L")
    if _is_blank(grey):
        return []
    return [
        Hash("phash", str(imagehash.phash(grey)), variant),
        Hash("dhash", str(imagehash.dhash(grey)), variant),
    ]


def _is_blank(grey: Image.Image) -> bool:
    thumbnail = np.asarray(grey.resize((64, 64), Image.Resampling.BOX), dtype=np.float32)
    return float(thumbnail.std()) < MIN_GREY_DEVIATION


def _scaled_for_hashing(image: Image.Image) -> Image.Image:
    """The image scaled to fit `HASHING_SIDE` by Lanczos, exactly as `Image.thumbnail` does (the
    hashes of every enrolled picture were computed so), without copying it first."""
    size = _fitted_size(image.size)
    if size is None:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _part_scaled(part: Image.Image) -> Image.Image:
    """A rectangle found inside a candidate, scaled to fit `HASHING_SIDE`: by a box filter where
    it is 1.5 times too big or more (it averages whole blocks of pixels), by a bilinear one when
    only a little too big, where a box filter keeps single pixels and a fine texture aliases.
    Over the accuracy benchmark's parts of 512-768 pixels, bilinear found as many within PDQ 31
    as Lanczos (54, box 52) at 1.2 times box's time (Lanczos 2.6 times); bricks in a screenshot
    540 pixels wide: 32 bits from the original by box, 18-20 by bilinear or Lanczos."""
    size = _fitted_size(part.size)
    if size is None:
        return part
    if max(part.size) >= 1.5 * HASHING_SIDE:
        return part.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    return part.resize(size, Image.Resampling.BILINEAR)


def _candidate_scaled(image: Image.Image) -> Image.Image:
    """A candidate scaled to fit `HASHING_SIDE` by Lanczos after a box reduction to at most twice
    that (reducing gap 1.0 instead of enrolment's 2.0): 35% less time, and over the accuracy
    benchmark's candidates its PDQ differs from the enrolment way's by 0.15 bits on average
    (99th percentile 2, worst 8 of 256), pHash and dHash by 0.1 (worst 4 and 2 of 64)."""
    size = _fitted_size(image.size)
    if size is None:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.0)


def _fitted_size(size: tuple[int, int]) -> tuple[int, int] | None:
    """The size `Image.thumbnail` gives a picture of `size` fit in `HASHING_SIDE` squared (the
    whole size nearest to the aspect ratio, floor on a tie), or None when it fits already."""
    width, height = size
    if max(width, height) <= HASHING_SIDE:
        return None
    aspect = width / height
    if aspect <= 1:
        exact, error = HASHING_SIDE * aspect, lambda n: abs(aspect - n / HASHING_SIDE)
    else:
        exact, error = HASHING_SIDE / aspect, lambda n: abs(aspect - HASHING_SIDE / n) if n else 0
    short = max(min(math.floor(exact), math.ceil(exact), key=error), 1)
    return (short, HASHING_SIDE) if aspect <= 1 else (HASHING_SIDE, short)
