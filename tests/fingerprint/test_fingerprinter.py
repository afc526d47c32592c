from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFont

from monitor.errors import ImageDecodeError, ImageTooLargeError
from monitor.fingerprint import (
    ORIENTATIONS,
    WHOLE_VARIANTS,
    Hash,
    IndexEntry,
    MatchIndex,
    MatchSettings,
    fingerprint_candidate,
    fingerprint_enrolled,
    fingerprint_image,
    hamming,
)
from monitor.fingerprint.fingerprinter import (
    HASHING_SIDE,
    MIN_FLAT_PDQ_QUALITY,
    _part_scaled,
    _scaled_for_hashing,
)
from monitor.fingerprint.hashes import BRIGHTENED_VARIANT, FLAT_VARIANTS
from monitor.fingerprint.masks import MASKED_VARIANTS, masked_samples
from monitor.fingerprint.pdq import samples as pdq_samples
from monitor.fingerprint.pdq import samples_quality
from monitor.fingerprint.regions import HALF_VARIANTS, REGION_VARIANTS
from tests.bench.fingerprint_speed import TRANSFORMS, distractors, full_resolution, jpeg
from tests.fingerprint.conftest import MAX_PIXELS, drawn_picture, encode

SEEDS = (0, 2, 3, 4)
# Photos of different kinds: a textured painting, low-contrast stripes, a very dark sky, a
# close-up, a silhouette on white, a fine texture.
PHOTO_SAMPLE = ("009", "019", "021", "034", "046", "051")


def _algorithms(hashes: tuple[Hash, ...]) -> Counter[str]:
    return Counter(h.algorithm for h in hashes)


def _index(pictures: dict[int, bytes]) -> MatchIndex:
    return MatchIndex(
        (
            IndexEntry("client", item_id, h)
            for item_id, data in pictures.items()
            for h in fingerprint_enrolled(data, max_pixels=MAX_PIXELS)
        ),
        settings=MatchSettings(),
    )


@pytest.fixture(scope="module")
def drawn_index() -> tuple[MatchIndex, dict[int, Image.Image]]:
    pictures = {seed: drawn_picture(seed) for seed in SEEDS}
    return _index({seed: encode(p, "PNG") for seed, p in pictures.items()}), pictures


def _whole(hashes: tuple[Hash, ...]) -> tuple[Hash, ...]:
    return tuple(h for h in hashes if h.variant in WHOLE_VARIANTS)


def test_enrolment_hashes_all_eight_orientations_and_large_regions() -> None:
    hashes = fingerprint_enrolled(encode(drawn_picture(0), "PNG"), max_pixels=MAX_PIXELS)
    whole = _whole(hashes)
    assert _algorithms(whole) == {"pdq": 8, "phash": 8, "dhash": 8}
    assert {h.variant for h in whole} == set(ORIENTATIONS)
    assert len({h.hex for h in whole if h.algorithm == "pdq"}) == 8
    masked = [h for h in hashes if h.variant in MASKED_VARIANTS]
    assert {h.algorithm for h in masked} == {"pdq"}
    flat = [h for h in hashes if h.variant in FLAT_VARIANTS]
    assert {h.algorithm for h in flat} <= {"pdq"}
    assert [h.algorithm for h in hashes if h.variant.endswith(BRIGHTENED_VARIANT)] == ["pdq"]
    others = (*WHOLE_VARIANTS, *MASKED_VARIANTS, *FLAT_VARIANTS, BRIGHTENED_VARIANT)
    regions = [h for h in hashes if h.variant not in others]
    assert {h.variant for h in regions} <= set(REGION_VARIANTS)
    by_algorithm = {
        algorithm: [h for h in regions if h.algorithm == algorithm]
        for algorithm in ("pdq", "phash", "dhash")
    }
    for algorithm, found in by_algorithm.items():
        assert len(found) == len({h.variant for h in found}), algorithm
        assert len({h.hex for h in found}) == len(found), algorithm
    # A region too flat for PDQ (quality < 60) is left out; most of a real picture is not.
    assert len(by_algorithm["pdq"]) >= 0.9 * len(REGION_VARIANTS)
    # Every region and half has a pHash and dHash too.
    assert {h.variant for h in by_algorithm["phash"]} == set(REGION_VARIANTS)
    assert {h.variant for h in by_algorithm["dhash"]} == set(REGION_VARIANTS)


def test_a_picture_with_a_border_is_also_hashed_trimmed() -> None:
    picture = drawn_picture(0)
    framed = Image.new("RGB", (picture.width + 120, picture.height + 120), (10, 200, 90))
    framed.paste(picture, (60, 60))
    enrolled = fingerprint_enrolled(encode(framed, "PNG"), max_pixels=MAX_PIXELS)
    assert _algorithms(_whole(enrolled)) == {"pdq": 16, "phash": 16, "dhash": 16}
    candidate = _whole(fingerprint_candidate(encode(framed, "PNG"), max_pixels=MAX_PIXELS))
    assert [h.variant for h in candidate] == ["original"] * 3 + ["trimmed-original"] * 3
    plain = fingerprint_candidate(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
    framed_pdq, trimmed_pdq = (h.hex for h in candidate if h.algorithm == "pdq")
    assert hamming(trimmed_pdq, plain[0].hex) <= 8
    assert hamming(framed_pdq, plain[0].hex) > 31  # why the border has to go


@pytest.mark.parametrize("size", [(1600, 1200), (1301, 700), (900, 1403), (513, 2), (3, 700)])
def test_enrolment_scales_exactly_as_pillows_thumbnail(size: tuple[int, int]) -> None:
    # Stored hashes were computed this way; originals are not kept, so it must never drift.
    picture = drawn_picture(4, size) if min(size) > 16 else Image.new("RGB", size, "teal")
    expected = picture.copy()
    expected.thumbnail((HASHING_SIDE, HASHING_SIDE), Image.Resampling.LANCZOS)
    scaled = _scaled_for_hashing(picture)
    assert scaled.size == expected.size
    assert np.array_equal(np.asarray(scaled), np.asarray(expected))


@pytest.mark.parametrize(
    ("seed", "size"), [(0, (1600, 1200)), (2, (1300, 700)), (3, (900, 1400)), (4, (2048, 1536))]
)
def test_a_candidate_scaled_the_faster_way_hashes_as_enrolment_does(
    seed: int, size: tuple[int, int]
) -> None:
    data = encode(drawn_picture(seed, size), "PNG")
    enrolled = {
        h.algorithm: h.hex
        for h in _whole(fingerprint_enrolled(data, max_pixels=MAX_PIXELS))
        if h.variant == "original"
    }
    candidate = {
        h.algorithm: h.hex for h in _whole(fingerprint_candidate(data, max_pixels=MAX_PIXELS))
    }
    # Measured 0, 0 and at most 1 bits here; the accuracy benchmark's candidates: PDQ 0.15 bits
    # on average, 8 at worst.
    assert hamming(candidate["pdq"], enrolled["pdq"]) <= 8
    assert hamming(candidate["phash"], enrolled["phash"]) <= 2
    assert hamming(candidate["dhash"], enrolled["dhash"]) <= 2
    assert hamming(candidate["pdq"], enrolled["pdq"]) < hamming(
        candidate["pdq"],
        next(
            h.hex
            for h in _whole(
                fingerprint_enrolled(
                    encode(drawn_picture(seed + 1, size), "PNG"), max_pixels=MAX_PIXELS
                )
            )
            if h.algorithm == "pdq"
        ),
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_part_a_little_too_big_is_not_aliased(seed: int) -> None:
    # A picture with fine lines, 540 pixels wide as in a phone screenshot decoded at half size:
    # scaled to 512 by a box filter, single pixels are kept and the lines alias (8-14 bits).
    picture = drawn_picture(seed, (1080, 810))
    draw = ImageDraw.Draw(picture)
    for y in range(0, 810, 7):
        draw.line((0, y, 1080, y + 40), fill=(230, 230, 230), width=2)
    for x in range(0, 1080, 23):
        draw.line((x, 0, x + 10, 810), fill=(230, 230, 230), width=2)
    enrolled = _pdq_hex(_scaled_for_hashing(picture))
    part = picture.resize((540, 405), Image.Resampling.LANCZOS)
    boxed = part.resize((512, 384), Image.Resampling.BOX)
    assert hamming(_pdq_hex(_part_scaled(part)), enrolled) <= 4
    assert hamming(_pdq_hex(boxed), enrolled) >= 8


def _pdq_hex(picture: Image.Image) -> str:
    bits, _quality = pdqhash.compute(np.asarray(picture))
    return bytes(np.packbits(bits.astype(np.uint8))).hex()


def test_a_scrap_left_by_trimming_a_flat_canvas_is_not_hashed_trimmed() -> None:
    # A small picture on a big plain canvas: what trimming leaves is under a quarter of the area,
    # too little to hash as the candidate's picture; it is found as a proposal instead.
    small = drawn_picture(2, (320, 240))
    canvas = Image.new("RGB", (1100, 900), (240, 240, 240))
    canvas.paste(small, (400, 300))
    candidate = fingerprint_candidate(encode(canvas, "JPEG"), max_pixels=MAX_PIXELS)
    assert not any(h.variant.startswith("trimmed-") for h in candidate)
    index = _index({1: encode(small, "PNG")})
    assert [match.item_id for match in index.match(candidate)] == [1]
    # Letterboxing leaves a third of the height and all of the width: hashed trimmed.
    wide = drawn_picture(3, (640, 360))
    letterboxed = Image.new("RGB", (640, 1138), "black")
    letterboxed.paste(wide, (0, 389))
    boxed = fingerprint_candidate(encode(letterboxed, "JPEG"), max_pixels=MAX_PIXELS)
    trimmed = next(h.hex for h in boxed if h.variant == "trimmed-original" and h.algorithm == "pdq")
    plain = fingerprint_candidate(encode(wide, "PNG"), max_pixels=MAX_PIXELS)
    assert hamming(trimmed, plain[0].hex) <= 8


@pytest.mark.parametrize("seed", [0, 3])
def test_regions_of_a_picture_with_a_flat_edge_are_cut_from_all_of_it(seed: int) -> None:
    # A white sky across the top looks like a border (it is trimmed for the whole-picture
    # hashes), but a re-uploader crops the picture with its sky: the regions must be cut from the
    # picture as it is for a crop by 20% to land on one of them.
    scene = drawn_picture(seed)
    picture = Image.new("RGB", (scene.width, scene.height + 160), "white")
    picture.paste(scene, (0, 160))
    enrolled = fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
    assert any(h.variant == "trimmed-original" for h in enrolled)
    cut_x, cut_y = round(picture.width * 0.2), round(picture.height * 0.2)
    cropped = picture.crop((cut_x, 0, picture.width, picture.height - cut_y))
    candidate = fingerprint_candidate(encode(cropped, "JPEG"), max_pixels=MAX_PIXELS)
    regions = {h.variant: h.hex for h in enrolled if h.algorithm == "pdq"}
    crop_pdq = next(h.hex for h in candidate if h.algorithm == "pdq")
    assert hamming(crop_pdq, regions["win80-tr"]) <= 20
    index = MatchIndex((IndexEntry("client", 1, h) for h in enrolled), settings=MatchSettings())
    assert [match.item_id for match in index.match(candidate)] == [1]


def test_candidate_is_hashed_once_in_its_own_orientation() -> None:
    picture = encode(drawn_picture(STRUCTURED_EVERYWHERE), "JPEG")
    hashes = fingerprint_candidate(picture, max_pixels=MAX_PIXELS)
    parts = [h for h in hashes if h.variant.startswith("part-")]
    # Rectangles that may be an embedded picture: PDQ (when not too flat), pHash and dHash.
    for variant in {h.variant for h in parts}:
        algorithms = sorted(h.algorithm for h in parts if h.variant == variant)
        assert algorithms in (["dhash", "pdq", "phash"], ["dhash", "phash"]), variant
    halves = [h for h in hashes if h.variant in HALF_VARIANTS]
    for algorithm in ("pdq", "phash", "dhash"):
        found = [h.variant for h in halves if h.algorithm == algorithm]
        assert found == list(HALF_VARIANTS), algorithm
    assert [(h.algorithm, h.variant) for h in _whole(hashes)] == [
        ("pdq", "original"),
        ("phash", "original"),
        ("dhash", "original"),
    ]


# A drawn picture whose four halves all have PDQ quality 100 (so none is left out as flat).
STRUCTURED_EVERYWHERE = 3


def _sticker(picture: Image.Image, *, centre: tuple[float, float], share: float) -> Image.Image:
    """A yellow smiley covering `share` of the picture, as `tests.bench.compositions` draws."""
    out = picture.copy()
    diameter = round((share * out.width * out.height * 4 / 3.14159) ** 0.5)
    x, y = round(centre[0] * out.width - diameter / 2), round(centre[1] * out.height - diameter / 2)
    draw = ImageDraw.Draw(out)
    draw.ellipse((x, y, x + diameter, y + diameter), fill=(255, 204, 51), outline=(200, 120, 0))
    draw.ellipse((x + diameter // 4, y + diameter // 3, x + diameter // 3, y + diameter // 2), 0)
    return out


def _stickered(
    centre: tuple[float, float],
) -> tuple[Image.Image, MatchIndex, tuple[Hash, ...]]:
    """A structured picture, an index of it and another, and the hashes of the picture with a
    sticker covering a tenth of it at `centre`, saved as JPEG."""
    picture = drawn_picture(STRUCTURED_EVERYWHERE)
    index = _index({0: encode(picture, "PNG"), 1: encode(drawn_picture(7), "PNG")})
    covered = encode(_sticker(picture, centre=centre, share=0.10), "JPEG")
    return picture, index, fingerprint_candidate(covered, max_pixels=MAX_PIXELS)


@pytest.mark.parametrize("centre", [(0.8, 0.5), (0.2, 0.3), (0.5, 0.85), (0.45, 0.15)])
def test_a_sticker_on_one_half_is_found_through_the_other_half(
    centre: tuple[float, float],
) -> None:
    _picture, index, hashes = _stickered(centre)
    found = index.match(tuple(h for h in hashes if h.variant in HALF_VARIANTS))
    assert [match.item_id for match in found] == [0]
    assert [match.item_id for match in index.match(hashes)] == [0]


def test_a_sticker_in_the_middle_is_not_found_through_a_half() -> None:
    """What halves cannot do: a sticker over the middle touches all four (the README says so)."""
    picture = drawn_picture(STRUCTURED_EVERYWHERE)
    covered = encode(_sticker(picture, centre=(0.5, 0.5), share=0.10), "JPEG")
    enrolled = {
        h.variant: h.hex
        for h in fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
        if h.variant in HALF_VARIANTS and h.algorithm == "pdq"
    }
    candidate = fingerprint_candidate(covered, max_pixels=MAX_PIXELS)
    distances = [
        hamming(h.hex, enrolled[h.variant])
        for h in candidate
        if h.variant in enrolled and h.algorithm == "pdq"
    ]
    assert len(distances) == 4
    assert min(distances) > MatchSettings().pdq


@pytest.mark.parametrize("centre", [(0.5, 0.5), (0.44, 0.56), (0.57, 0.45), (0.53, 0.53)])
def test_a_sticker_in_the_middle_is_found_through_a_blanked_middle(
    centre: tuple[float, float],
) -> None:
    picture, index, hashes = _stickered(centre)
    masked = tuple(h for h in hashes if h.variant in MASKED_VARIANTS)
    assert [match.item_id for match in index.match(masked)] == [0]
    enrolled = {
        h.variant: h.hex
        for h in fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
        if h.algorithm == "pdq"
    }
    whole = next(h for h in hashes if h.algorithm == "pdq" and h.variant == "original")
    assert hamming(whole.hex, enrolled["original"]) > MatchSettings().pdq
    # The block that covers the sticker leaves the same picture on both sides.
    assert min(hamming(h.hex, enrolled[h.variant]) for h in masked) <= 8


def test_the_same_bytes_give_the_same_hashes() -> None:
    data = encode(drawn_picture(3), "WEBP")
    first = fingerprint_candidate(data, max_pixels=MAX_PIXELS)
    assert fingerprint_candidate(data, max_pixels=MAX_PIXELS) == first
    enrolled = fingerprint_enrolled(data, max_pixels=MAX_PIXELS)
    # What both sides compute of a picture (its whole and its halves) is the same hash; the
    # parts proposed inside a candidate are the candidate's own.
    shared = {h for h in first if not h.variant.startswith("part-")}
    assert shared <= set(enrolled)
    assert {h.variant for h in shared} >= {"original", *HALF_VARIANTS}


def test_fingerprint_image_is_the_shared_core() -> None:
    picture = drawn_picture(4)
    from_image = fingerprint_image(picture, variants=False)
    from_bytes = fingerprint_candidate(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
    assert from_image == from_bytes
    assert len(_whole(fingerprint_image(picture.convert("L"), variants=True))) == 24


def test_a_blank_candidate_gets_no_hashes() -> None:
    for colour in ("white", "black", (40, 90, 200)):
        blank = encode(Image.new("RGB", (400, 300), colour), "JPEG", quality=40)
        assert fingerprint_candidate(blank, max_pixels=MAX_PIXELS) == ()


def test_a_blank_enrolled_image_keeps_only_pdq() -> None:
    hashes = fingerprint_enrolled(
        encode(Image.new("RGB", (80, 60), "white")), max_pixels=MAX_PIXELS
    )
    assert _algorithms(hashes) == {"pdq": 8}


def test_a_flat_candidate_gets_only_flat_pdqs_and_keeps_phash_and_dhash() -> None:
    gradient = Image.linear_gradient("L").resize((640, 480)).convert("RGB")  # PDQ quality 44
    hashes = fingerprint_candidate(encode(gradient, "PNG"), max_pixels=MAX_PIXELS)
    algorithms = _algorithms(hashes)
    pdq_variants = {h.variant for h in hashes if h.algorithm == "pdq"}
    assert "flat-original" in pdq_variants
    assert pdq_variants <= set(FLAT_VARIANTS), "no PDQ of a flat candidate matches at `pdq`"
    assert algorithms["phash"] == algorithms["dhash"] >= 1


def test_a_nearly_single_colour_candidate_gets_no_pdq_at_all() -> None:
    # PDQ quality under MIN_FLAT_PDQ_QUALITY: its bits are rounding noise.
    faint = Image.new("RGB", (640, 480), (120, 120, 120))
    ImageDraw.Draw(faint).rectangle((0, 0, 639, 240), fill=(124, 124, 124))
    _bits, quality = pdqhash.compute(np.asarray(faint))
    assert quality < MIN_FLAT_PDQ_QUALITY
    hashes = fingerprint_candidate(encode(faint, "PNG"), max_pixels=MAX_PIXELS)
    assert "pdq" not in _algorithms(hashes)


def test_flat_pictures_do_not_match_each_other_through_flat_pdqs() -> None:
    """Gradients and faint shapes (PDQ quality 10-59), enrolled and looked up against each
    other as JPEG: each finds itself and nothing else."""
    pictures = _flat_pictures()
    index = _index({number: encode(picture, "PNG") for number, picture in enumerate(pictures)})
    for number, picture in enumerate(pictures):
        hashes = fingerprint_candidate(encode(picture, "JPEG"), max_pixels=MAX_PIXELS)
        assert any(h.variant in FLAT_VARIANTS for h in hashes)
        assert [match.item_id for match in index.match(hashes)] == [number]


def test_a_sticker_on_a_flat_picture_is_found_through_its_flat_pdqs() -> None:
    picture = _flat_pictures()[3]
    index = _index({0: encode(picture, "PNG"), 1: encode(drawn_picture(7), "PNG")})
    covered = _sticker(picture, centre=(0.5, 0.5), share=0.10)
    hashes = fingerprint_candidate(encode(covered, "JPEG"), max_pixels=MAX_PIXELS)
    flat = tuple(h for h in hashes if h.variant in FLAT_VARIANTS and "masked" in h.variant)
    assert [match.item_id for match in index.match(flat)] == [0]
    assert [match.item_id for match in index.match(hashes)] == [0]


def _flat_pictures() -> list[Image.Image]:
    """Pictures of PDQ quality 10-59: grey gradients each way, each with one lighter shape."""
    shapes = [
        ((1, 0), "ellipse", (60, 300, 260, 440)),
        ((0, 1), "rectangle", (380, 80, 600, 260)),
        ((1, 1), "ellipse", (240, 150, 420, 330)),
        ((1, -1), "ellipse", (80, 60, 300, 240)),
        ((0, 1), "rectangle", (100, 200, 300, 420)),
        ((-1, 0.5), "ellipse", (400, 250, 600, 450)),
    ]
    rows, columns = np.mgrid[0:480, 0:640]
    pictures = []
    for number, ((across, down), shape, box) in enumerate(shapes):
        ramp = across * columns / 639 + down * rows / 479
        ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
        grey = (60 + 140 * ramp).astype(np.uint8)
        picture = Image.fromarray(np.stack([grey] * 3, axis=-1))
        lighter = int(grey[box[1] : box[3], box[0] : box[2]].mean()) + 70
        getattr(ImageDraw.Draw(picture), shape)(box, fill=(lighter,) * 3)
        _bits, quality = pdqhash.compute(np.asarray(picture))
        assert MIN_FLAT_PDQ_QUALITY <= quality < 60, (number, quality)
        pictures.append(picture)
    return pictures


def test_a_candidate_below_pdq_quality_60_gets_only_flat_pdqs() -> None:
    # Quality 50-59 passes ThreatExchange's cut-off, but tiles of flat two-tone graphics at 52-53
    # came within 22 bits of unrelated graphics in the accuracy benchmark.
    gradient = Image.linear_gradient("L").resize((512, 384)).convert("RGB")
    ImageDraw.Draw(gradient).ellipse((160, 120, 380, 285), fill=(128, 128, 128))
    _bits, quality = pdqhash.compute(np.asarray(gradient))
    assert 50 <= quality < 60
    hashes = fingerprint_image(gradient, variants=False)
    assert {h.variant for h in hashes if h.algorithm == "pdq"} <= set(FLAT_VARIANTS)
    assert _algorithms(hashes)["phash"] >= 1
    enrolled = fingerprint_image(gradient, variants=True)
    pdq_variants = {h.variant for h in enrolled if h.algorithm == "pdq"}
    assert _algorithms(enrolled)["pdq"] == len(pdq_variants) >= 8
    kept = {*WHOLE_VARIANTS, *FLAT_VARIANTS, BRIGHTENED_VARIANT}
    assert pdq_variants <= kept, "no region PDQ but flat ones"
    # Its regions keep pHash and dHash, which do not need structure the way PDQ does.
    region_phashes = {h.variant for h in enrolled if h.algorithm == "phash"} - set(WHOLE_VARIANTS)
    assert region_phashes


def test_a_faint_mark_on_white_gets_no_phash_or_dhash() -> None:
    # A watermark alone on a blank overlay (grey deviation 2.6): its pHash and dHash matched a
    # flat graphic before the blank floor was raised from 2 to 3.
    overlay = Image.new("RGB", (640, 480), "white")
    ImageDraw.Draw(overlay).rectangle((584, 424, 600, 440), fill=(150, 150, 150))
    algorithms = _algorithms(fingerprint_candidate(encode(overlay, "PNG"), max_pixels=MAX_PIXELS))
    assert "phash" not in algorithms
    assert "dhash" not in algorithms


def test_tiny_and_odd_shaped_images_are_hashed() -> None:
    for size in ((1, 1), (3, 500), (500, 2), (16, 16)):
        picture = drawn_picture(5, size=(max(size[0], 20), max(size[1], 20))).resize(size)
        fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
        fingerprint_candidate(encode(picture, "PNG"), max_pixels=MAX_PIXELS)


def test_errors_from_decoding_reach_the_caller() -> None:
    with pytest.raises(ImageDecodeError):
        fingerprint_candidate(b"<html>", max_pixels=MAX_PIXELS)
    with pytest.raises(ImageTooLargeError):
        fingerprint_enrolled(encode(drawn_picture(6), "PNG"), max_pixels=1000)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_each_transform_of_a_drawn_picture_matches_its_original(
    drawn_index: tuple[MatchIndex, dict[int, Image.Image]], transform: str
) -> None:
    index, pictures = drawn_index
    change, quality = TRANSFORMS[transform]
    rng = random.Random(7)
    for seed, picture in pictures.items():
        candidate = fingerprint_candidate(
            jpeg(change(picture, rng), quality), max_pixels=MAX_PIXELS
        )
        matched = {m.item_id for m in index.match(candidate)}
        assert matched == {seed}, (transform, seed, index.match(candidate))


@pytest.mark.parametrize(
    "orientation",
    [
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_180,
        Image.Transpose.ROTATE_270,
        Image.Transpose.FLIP_TOP_BOTTOM,
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
    ],
)
def test_every_orientation_matches_through_pdq(
    drawn_index: tuple[MatchIndex, dict[int, Image.Image]], orientation: Image.Transpose
) -> None:
    index, pictures = drawn_index
    candidate = fingerprint_candidate(
        jpeg(pictures[0].transpose(orientation)), max_pixels=MAX_PIXELS
    )
    [match] = index.match(candidate)
    assert (match.item_id, match.algorithm) == (0, "pdq")
    assert match.distance <= 16


def test_unrelated_drawn_pictures_and_crops_do_not_match(
    drawn_index: tuple[MatchIndex, dict[int, Image.Image]],
) -> None:
    index, pictures = drawn_index
    rng = random.Random(8)
    for seed in range(20, 30):
        candidate = fingerprint_candidate(jpeg(drawn_picture(seed)), max_pixels=MAX_PIXELS)
        assert index.match(candidate) == [], seed
    for seed, picture in pictures.items():
        for piece in distractors(picture, rng):
            candidate = fingerprint_candidate(jpeg(piece), max_pixels=MAX_PIXELS)
            assert all(m.item_id == seed for m in index.match(candidate))


@pytest.fixture(scope="module")
def photo_index(photo_paths: list[Path]) -> tuple[MatchIndex, dict[int, Path]]:
    chosen = {
        number: path for number, path in enumerate(photo_paths) if path.name[:3] in PHOTO_SAMPLE
    }
    return _index({n: p.read_bytes() for n, p in chosen.items()}), chosen


def test_each_transform_of_real_photos_matches_its_original(
    photo_index: tuple[MatchIndex, dict[int, Path]],
) -> None:
    index, chosen = photo_index
    rng = random.Random(9)
    missed = []
    for number, path in chosen.items():
        picture = full_resolution(path.read_bytes())
        picture.thumbnail((1280, 1280))
        for name, (change, quality) in TRANSFORMS.items():
            candidate = fingerprint_candidate(
                jpeg(change(picture, rng), quality), max_pixels=MAX_PIXELS
            )
            if number not in {m.item_id for m in index.match(candidate)}:
                missed.append((path.name, name))
    # The one known miss: brightened, the wood grain is too flat for PDQ (quality < 60) and its
    # pHash/dHash are 12/7 bits off; dHash 7 is what tiles of flat graphics came within of
    # unrelated graphics in the accuracy benchmark, so the standard profile stops at 6.
    assert set(missed) <= {("034_Wood.jpg", "brightness +30%")}


def test_other_photos_do_not_match_the_sample(
    photo_index: tuple[MatchIndex, dict[int, Path]], photo_paths: list[Path]
) -> None:
    index, chosen = photo_index
    for number, path in list(enumerate(photo_paths))[::4]:
        if number in chosen or path.name[:3] in ("020", "022", "023"):  # recolours of 021
            continue
        candidate = fingerprint_candidate(path.read_bytes(), max_pixels=MAX_PIXELS)
        assert index.match(candidate) == [], path.name


def test_a_letterboxed_logo_on_a_plain_background_is_found_inside_its_bars() -> None:
    """Trimming a logo on plain blue letterboxed in pink goes on into the blue; the picture
    inside the outermost bars ("part-bars") is the enrolled picture itself."""
    picture = Image.new("RGB", (480, 360), (20, 60, 170))
    picture.paste(drawn_picture(19, size=(160, 120)), (260, 120))
    letterboxed = Image.new("RGB", (480, 600), (220, 120, 140))
    letterboxed.paste(picture, (0, 120))
    index = _index({0: encode(picture, "PNG"), 1: encode(drawn_picture(7), "PNG")})
    hashes = fingerprint_candidate(encode(letterboxed, "JPEG"), max_pixels=MAX_PIXELS)
    bars = tuple(h for h in hashes if h.variant == "part-bars")
    assert {h.algorithm for h in bars} == {"pdq", "phash", "dhash"}
    assert [match.item_id for match in index.match(bars)] == [0]
    assert [match.item_id for match in index.match(hashes)] == [0]


def _pale_graphic(darkest: int) -> Image.Image:
    """A small green logo on a near-white backdrop shaded from white down to `darkest` towards
    one corner, as wallpapers and title cards are."""
    rows, columns = np.mgrid[0:480, 0:720]
    shade = np.clip(1 - np.hypot(columns - 200, rows - 400) / 500, 0, 1)
    grey = (250 - (250 - darkest) * shade).astype(np.uint8)
    picture = Image.fromarray(np.stack([grey] * 3, axis=-1))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((330, 190, 410, 270), outline=(90, 180, 90), width=12)
    draw.polygon([(320, 200), (320, 280), (380, 240)], fill=(90, 180, 90))
    return picture


def test_a_brightened_pale_graphic_is_found_through_the_brightened_pdq() -> None:
    # Brightened by 30% its shading clips to white: the re-upload is the logo alone, far from
    # the picture's own PDQ, and as flat as the enrolled picture brightened the same way.
    picture = _pale_graphic(darkest=170)
    enrolled = fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
    brightened = ImageEnhance.Brightness(picture).enhance(1.3)
    hashes = fingerprint_candidate(encode(brightened, "JPEG"), max_pixels=MAX_PIXELS)

    def found_by(variants: set[str]) -> list[int]:
        kept = (IndexEntry("client", 0, h) for h in enrolled if h.variant in variants)
        index = MatchIndex(kept, settings=MatchSettings())
        whole = [h for h in hashes if h.variant in ("original", "flat-original")]
        return [match.item_id for match in index.match(whole)]

    assert found_by({BRIGHTENED_VARIANT, "flat-" + BRIGHTENED_VARIANT}) == [0]
    assert found_by(set(WHOLE_VARIANTS)) == []
    entries = (IndexEntry("client", 0, h) for h in enrolled)
    everything = MatchIndex(entries, settings=MatchSettings())
    assert [match.item_id for match in everything.match(hashes)] == [0]


def test_a_sticker_over_a_pale_graphics_logo_is_found_through_its_smooth_blanked_middles() -> None:
    # The blanked middles of a smooth backdrop have a PDQ quality under MIN_FLAT_PDQ_QUALITY
    # (the quality counts only steps of 1% between neighbouring samples) and still vary by far
    # more than a blank picture: they are kept.
    picture = _pale_graphic(darkest=190)
    found = pdq_samples(np.asarray(_scaled_for_hashing(picture)))
    assert found is not None
    blanked = masked_samples(found, _scaled_for_hashing(picture).size)
    assert all(samples_quality(middle) < MIN_FLAT_PDQ_QUALITY for _name, middle in blanked)
    index = _index({0: encode(picture, "PNG"), 1: encode(drawn_picture(7), "PNG")})
    covered = picture.copy()
    ImageDraw.Draw(covered).ellipse((315, 185, 415, 285), fill=(250, 200, 40))
    hashes = fingerprint_candidate(encode(covered, "JPEG"), max_pixels=MAX_PIXELS)
    middles = [h for h in hashes if h.variant in FLAT_VARIANTS and "masked" in h.variant]
    assert [match.item_id for match in index.match(middles)] == [0]


def _dark_wallpaper(seed: int) -> Image.Image:
    """Soft green-yellow clouds on black, at most 40 levels bright: PDQ quality 0-2."""
    clouds = np.random.default_rng(seed).random((5, 8, 3))
    picture = Image.fromarray((clouds * 255).astype(np.uint8)).resize(
        (800, 480), Image.Resampling.BICUBIC
    )
    dimmed = np.asarray(picture, dtype=np.float32) * (40 / 255) * np.array([0.6, 1.0, 0.4])
    return Image.fromarray(dimmed.astype(np.uint8))


def test_a_captioned_dark_wallpaper_is_found_through_its_clean_half_and_nothing_else() -> None:
    # The caption is all its PDQs see; the upper half's pHash and dHash still match.
    pictures = [_dark_wallpaper(seed) for seed in range(4)]
    enrolled = {
        number: fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
        for number, picture in enumerate(pictures)
    }
    halves_only = MatchIndex(
        (
            IndexEntry("client", number, h)
            for number, hashes in enrolled.items()
            for h in hashes
            if h.variant in HALF_VARIANTS and h.algorithm != "pdq"
        ),
        settings=MatchSettings(),
    )
    everything = MatchIndex(
        (IndexEntry("client", n, h) for n, hashes in enrolled.items() for h in hashes),
        settings=MatchSettings(),
    )
    for number, picture in enumerate(pictures):
        captioned = picture.copy()
        ImageDraw.Draw(captioned).text(
            (40, 300), "when the coffee finally kicks in", "white", ImageFont.load_default(44)
        )
        hashes = fingerprint_candidate(encode(captioned, "JPEG"), max_pixels=MAX_PIXELS)
        assert [match.item_id for match in halves_only.match(hashes)] == [number]
        assert [match.item_id for match in everything.match(hashes)] == [number]
