"""Our PDQ (taps of the blur at the sample points) against the reference binding, `pdqhash`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from monitor.fingerprint.decode import decode_image
from monitor.fingerprint.pdq import pdq
from tests.fingerprint.conftest import MAX_PIXELS, drawn_picture

# Sizes a candidate's pictures and parts come in: the whole at 512 on the long side, halves,
# small proposals, odd and extreme shapes (the blur's window changes at every 128 pixels).
SIZES = [
    (512, 384),
    (384, 512),
    (512, 512),
    (256, 128),
    (129, 255),
    (127, 131),
    (511, 97),
    (70, 60),
    (300, 40),
    (40, 300),
    (1000, 700),
]


def _reference(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    bits, quality = pdqhash.compute(rgb)
    return bits.astype(bool), int(quality)


@pytest.mark.parametrize("size", SIZES)
def test_bits_and_quality_equal_the_reference_on_drawn_pictures(size: tuple[int, int]) -> None:
    compared = 0
    for seed in range(6):
        rgb = np.asarray(drawn_picture(seed, size))
        ours, quality = pdq(rgb)
        reference, reference_quality = _reference(rgb)
        assert quality == reference_quality, (size, seed)
        if reference_quality < 60:
            continue  # flat: the bits are rounding noise in either implementation
        assert np.array_equal(ours, reference), (size, seed, int((ours != reference).sum()))
        compared += 1
    assert compared >= 4


def test_bits_equal_the_reference_on_metas_test_images(reference_dir: Path) -> None:
    compared = 0
    for path in sorted(reference_dir.glob("*.jpg")):
        decoded = decode_image(path.read_bytes(), max_pixels=MAX_PIXELS)
        for picture in (decoded, decoded.resize((512, 512 * decoded.height // decoded.width))):
            rgb = np.asarray(picture.convert("RGB"))
            reference, reference_quality = _reference(rgb)
            if reference_quality < 60:
                continue  # flat: the bits are rounding noise in either implementation
            ours, quality = pdq(rgb)
            assert abs(quality - reference_quality) <= 1, path.name
            assert np.array_equal(ours, reference), (path.name, picture.size)
            compared += 1
    assert compared >= 20


def test_a_picture_smaller_than_five_pixels_a_side_gets_the_references_empty_hash() -> None:
    for shape in ((4, 4, 3), (1, 1, 3), (64, 3, 3), (2, 500, 3)):
        rgb = np.full(shape, 200, dtype=np.uint8)
        bits, quality = pdq(rgb)
        assert quality == 0, shape
        assert not bits.any(), shape
        assert _reference(rgb)[1] == 0


def test_a_flat_picture_has_quality_zero_like_the_references() -> None:
    rgb = np.asarray(Image.new("RGB", (300, 200), (90, 140, 30)))
    assert pdq(rgb)[1] == _reference(rgb)[1] == 0


def test_noise_at_the_smallest_size_equals_the_reference() -> None:
    rgb = np.random.default_rng(7).integers(0, 256, size=(5, 9, 3), dtype=np.uint8)
    ours, quality = pdq(rgb)
    reference, reference_quality = _reference(rgb)
    assert quality == reference_quality
    assert np.array_equal(ours, reference)
