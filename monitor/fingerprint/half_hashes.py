"""pHash and dHash of a picture's four halves ("half-l", "half-r", "half-t", "half-b").

Both sides hash the halves, and a half is matched only against the same half (`matching`): a
caption, watermark or sticker on one half leaves the other, and a picture too flat for PDQ (a
dark wallpaper) is still found by its pHash and dHash. The grids the two hashes read (32x32 for
pHash, 9x8 for dHash, as imagehash's) are cut from the picture's PDQ samples (64x64 blurred
luminance values, computed for its PDQ anyway) and from one 18x16 box-averaged copy, instead of
resampling each half twice. The values are near imagehash's of a cropped half but not equal;
they are compared only with each other, so enrolment and candidates must both come through here.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import scipy.fft  # type: ignore[import-untyped]
from PIL import Image

from monitor.fingerprint.hashes import Hash, bits_hex
from monitor.fingerprint.regions import HALF_VARIANTS

_SAMPLES: Final = 64  # PDQ's samples per side
_PHASH_KEPT: Final = 8  # pHash keeps the lowest 8x8 coefficients of a 32x32 DCT
_DHASH_SIZE: Final = (9, 8)  # dHash compares 9 columns in 8 rows


def half_small_hashes(
    picture: Image.Image, found: npt.NDArray[np.float32], *, min_deviation: float
) -> list[Hash]:
    """pHash and dHash of each half of a picture, pHash from its PDQ samples `found` (64x64),
    dHash from the picture box-averaged to 18x16 grey values; none for a half whose samples vary
    less than `min_deviation` (blank: its hashes would be noise)."""
    if found.shape != (_SAMPLES, _SAMPLES):
        raise ValueError(f"half hashes need PDQ's 64x64 samples, got shape {found.shape}")
    fine = found.astype(np.float64)
    across, down = _DHASH_SIZE
    # dHash compares neighbouring values: from PDQ's samples (points of a light blur) JPEG noise
    # of a dark picture flipped 5-8 of its 64 bits, from area averages 1-4.
    small = picture.resize((2 * across, 2 * down), Image.Resampling.BOX).convert("L")
    coarse = np.asarray(small, dtype=np.float64)
    middle = _SAMPLES // 2
    grids = {
        "half-l": (_rows_halved(fine[:, :middle]), _rows_halved(coarse[:, :across])),
        "half-r": (_rows_halved(fine[:, middle:]), _rows_halved(coarse[:, across:])),
        "half-t": (_columns_halved(fine[:middle]), _columns_halved(coarse[:down])),
        "half-b": (_columns_halved(fine[middle:]), _columns_halved(coarse[down:])),
    }
    hashes = []
    for name in HALF_VARIANTS:
        for_phash, for_dhash = grids[name]
        if float(for_phash.std()) < min_deviation:
            continue
        hashes.append(Hash("phash", bits_hex(_phash_bits(for_phash)), name))
        hashes.append(Hash("dhash", bits_hex(for_dhash[:, 1:] > for_dhash[:, :-1]), name))
    return hashes


def _rows_halved(grid: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Each pair of rows averaged into one (a left or right half is twice as tall as wide)."""
    rows, columns = grid.shape
    halved: npt.NDArray[np.float64] = grid.reshape(rows // 2, 2, columns).mean(axis=1)
    return halved


def _columns_halved(grid: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    rows, columns = grid.shape
    halved: npt.NDArray[np.float64] = grid.reshape(rows, columns // 2, 2).mean(axis=2)
    return halved


def _phash_bits(grid: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """imagehash's pHash of a 32x32 grid: its DCT's lowest 8x8 coefficients above their median."""
    coefficients = scipy.fft.dct(scipy.fft.dct(grid, axis=0), axis=1)
    low = coefficients[:_PHASH_KEPT, :_PHASH_KEPT]
    bits: npt.NDArray[np.bool_] = low > np.median(low)
    return bits
