"""PDQ of a picture with a block near its middle blanked: for stickers near the middle.

A sticker (an emoji, a logo) covering up to a tenth of a picture changes its whole PDQ by 70-120
bits. One on a half leaves the other half to match (`regions.half_boxes`), but one near the
middle touches all four halves, and any region at least half by half. Both sides therefore also
hash the picture with each of four blocks around its middle replaced by the mean of the rest:
whatever a sticker near the middle covered, one block covers all of it, and what is left is
the same picture on both sides. A hash of a picture with a hole in it is no closer to the
pixels than the whole picture's.

The blocks are cut from PDQ's 64x64 samples (`pdq.samples`), not from the pixels: the samples
are computed once, and filling a block there with the mean of the others leaves the DCT of the
rest as it was (PDQ's coefficients leave out the mean), so an unrelated picture with the same
block blanked shares no pattern with it.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

# The largest sticker the blocks are made for, as a share of the picture's area (the issue's
# "an emoji sticker covering up to 10%"), as a disc: its diameter is sqrt(4/pi * share) of the
# geometric mean of the sides.
STICKER_SHARE: Final = 0.10
# A sticker on all four halves has its centre within half its diameter of the middle, on each
# axis. Four blocks centred a quarter of the diameter off the middle, each 1.5 diameters on a
# side, cover every such sticker; a sample more on each side covers the blur around its edge.
_EXTRA_SAMPLES: Final = 1
_SAMPLES: Final = 64
# Variant name -> which way the block's centre is off the middle (across, down).
_BLOCKS: Final = {
    "masked-tl": (-1, -1),
    "masked-tr": (1, -1),
    "masked-bl": (-1, 1),
    "masked-br": (1, 1),
}
MASKED_VARIANTS: Final = tuple(_BLOCKS)


def masked_samples(
    samples: npt.NDArray[np.float32], size: tuple[int, int]
) -> list[tuple[str, npt.NDArray[np.float32]]]:
    """PDQ samples of a picture of `size` (width, height) with each block blanked, by name."""
    width, height = size
    disc = 4 / math.pi * STICKER_SHARE
    across = min(1.0, math.sqrt(disc * height / width))  # the sticker's share of the width
    down = min(1.0, math.sqrt(disc * width / height))
    blanked = []
    for name, (x_off, y_off) in _BLOCKS.items():
        rows = _span(0.5 + y_off * down / 4, 0.75 * down)
        columns = _span(0.5 + x_off * across / 4, 0.75 * across)
        kept = np.ones(samples.shape, dtype=np.bool_)
        kept[rows, columns] = False
        masked = samples.copy()
        masked[~kept] = samples[kept].mean()
        blanked.append((name, masked))
    return blanked


def _span(centre: float, half: float) -> slice:
    """The samples from `centre - half` to `centre + half` (shares of the side), widened."""
    first = math.floor((centre - half) * _SAMPLES) - _EXTRA_SAMPLES
    stop = math.ceil((centre + half) * _SAMPLES) + _EXTRA_SAMPLES
    return slice(max(0, first), min(_SAMPLES, stop))
