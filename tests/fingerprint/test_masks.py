"""The blocks blanked near a picture's middle: every sticker on all four halves fits in one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from monitor.fingerprint import Hash
from monitor.fingerprint.masks import MASKED_VARIANTS, STICKER_SHARE, masked_samples

SIZES = [(512, 512), (512, 341), (341, 512), (512, 288), (288, 512), (512, 128)]


def _blanked(size: tuple[int, int]) -> dict[str, np.ndarray]:
    """Which samples each block blanks, found by blanking samples that all differ."""
    samples = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    return {name: masked != samples for name, masked in masked_samples(samples, size)}


@pytest.mark.parametrize("size", SIZES)
def test_every_sticker_on_all_four_halves_fits_in_one_block(size: tuple[int, int]) -> None:
    width, height = size
    blocks = _blanked(size)
    assert list(blocks) == list(MASKED_VARIANTS)
    for share in (0.04, 0.07, STICKER_SHARE):
        diameter = math.sqrt(share * width * height * 4 / math.pi)
        radius_x, radius_y = diameter / 2 / width, diameter / 2 / height
        # Centres from which a disc reaches over both middle lines, on a fine grid.
        for x in np.linspace(0.5 - radius_x, 0.5 + radius_x, 9):
            for y in np.linspace(0.5 - radius_y, 0.5 + radius_y, 9):
                rows = slice(
                    max(0, math.floor((y - radius_y) * 64)), min(64, math.ceil((y + radius_y) * 64))
                )
                columns = slice(
                    max(0, math.floor((x - radius_x) * 64)), min(64, math.ceil((x + radius_x) * 64))
                )
                covering = [name for name, block in blocks.items() if block[rows, columns].all()]
                assert covering, (size, share, x, y)


@pytest.mark.parametrize("size", SIZES)
def test_a_block_leaves_most_of_the_picture(size: tuple[int, int]) -> None:
    for name, block in _blanked(size).items():
        assert 0.1 < block.mean() < 0.45, name


def test_a_blanked_block_holds_the_mean_of_the_rest() -> None:
    samples = np.random.default_rng(3).uniform(0, 255, (64, 64)).astype(np.float32)
    for _name, masked in masked_samples(samples, (512, 384)):
        blanked = masked != samples
        assert np.allclose(masked[blanked], samples[~blanked].mean())
        assert np.array_equal(masked[~blanked], samples[~blanked])


def test_masked_variants_are_valid_hash_variants() -> None:
    for name in MASKED_VARIANTS:
        assert Hash("pdq", "0" * 64, name).variant == name
