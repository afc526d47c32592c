from __future__ import annotations

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw

from monitor.fingerprint import fingerprint_candidate, fingerprint_enrolled, hamming
from monitor.fingerprint.fingerprinter import MIN_GREY_DEVIATION, _scaled_for_hashing
from monitor.fingerprint.half_hashes import half_small_hashes
from monitor.fingerprint.pdq import samples
from monitor.fingerprint.regions import HALF_VARIANTS, half_boxes
from tests.fingerprint.conftest import MAX_PIXELS, drawn_picture, encode


def _halves_hashes(picture: Image.Image) -> dict[tuple[str, str], str]:
    scaled = _scaled_for_hashing(picture)
    found = samples(np.asarray(scaled))
    assert found is not None
    hashes = half_small_hashes(scaled, found, min_deviation=MIN_GREY_DEVIATION)
    return {(h.variant, h.algorithm): h.hex for h in hashes}


@pytest.mark.parametrize("seed", [0, 2, 3, 4])
def test_each_half_gets_a_phash_and_dhash_near_imagehashs_of_the_cut_half(seed: int) -> None:
    picture = drawn_picture(seed)
    hashes = _halves_hashes(picture)
    assert set(hashes) == {(half, kind) for half in HALF_VARIANTS for kind in ("phash", "dhash")}
    grey = _scaled_for_hashing(picture).convert("L")
    for half, box in half_boxes(grey.size):
        cut = grey.crop(box)
        # Not imagehash's values (other grids), but the same hash of the same half.
        assert hamming(hashes[(half, "phash")], str(imagehash.phash(cut))) <= 12, half
        assert hamming(hashes[(half, "dhash")], str(imagehash.dhash(cut))) <= 16, half
    # The four halves are four different pictures.
    assert len({hashes[(half, "phash")] for half in HALF_VARIANTS}) == 4


def test_a_blank_picture_or_a_mark_on_one_gets_no_half_hashes() -> None:
    assert _halves_hashes(Image.new("RGB", (640, 480), "white")) == {}
    # A mark in one half is not blank there; the picture as a whole is, so none of it is kept.
    marked = Image.new("RGB", (640, 480), "white")
    ImageDraw.Draw(marked).rectangle((584, 424, 600, 440), fill=(150, 150, 150))
    for hashes in (
        fingerprint_candidate(encode(marked, "PNG"), max_pixels=MAX_PIXELS),
        fingerprint_enrolled(encode(marked, "PNG"), max_pixels=MAX_PIXELS),
    ):
        assert not [h for h in hashes if h.variant in HALF_VARIANTS and h.algorithm != "pdq"]


def test_a_blank_half_gets_none_and_the_other_half_still_does() -> None:
    picture = Image.new("RGB", (640, 480), (30, 90, 200))  # a plain sky above ...
    picture.paste(drawn_picture(3, size=(640, 240)), (0, 240))  # ... and a scene below
    hashes = _halves_hashes(picture)
    assert ("half-t", "phash") not in hashes
    assert ("half-b", "phash") in hashes
    assert ("half-b", "dhash") in hashes


def test_anything_but_pdqs_64x64_samples_is_refused() -> None:
    picture = drawn_picture(0)
    with pytest.raises(ValueError, match="64x64 samples"):
        half_small_hashes(picture, np.zeros((32, 32), dtype=np.float32), min_deviation=3.0)
