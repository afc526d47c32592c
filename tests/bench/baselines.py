"""Plain PDQ and plain pHash, done the way an ordinary implementation does them: the comparison
the accuracy benchmark prints beside our matcher.

One pass decodes the file (JPEG in draft mode, at least 512 pixels on the short side, as our
decoder does), puts transparency on white, scales to fit 512x512 and computes PDQ (256 bits) and
pHash (64 bits, imagehash). One orientation, no border trimming, no quality filter, no dHash.
PDQ is the reference binding's (`pdqhash`), as an ordinary implementation would use; with
`our_pdq` it is ours (`monitor.fingerprint.pdq`, the same bits, faster), for a comparison that
does not credit our candidates with a faster PDQ the plain way could use too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Final

import imagehash
import numpy as np
import pdqhash
from PIL import Image

from monitor.fingerprint.pdq import pdq as faster_pdq

# ThreatExchange's PDQ match threshold (of 256 bits).
PLAIN_PDQ_THRESHOLD: Final = 31
# A common pHash threshold (of 64 bits): about 15% of the bits, the value most pHash
# deduplication tools default to. The benchmark prints the margin, so another choice can be read
# off the table.
PLAIN_PHASH_THRESHOLD: Final = 10
# ThreatExchange discards PDQ hashes below this quality: flat pictures whose hash is noise. Plain
# hashing keeps them; the benchmark also reports the baselines with such pictures left out.
FLAT_QUALITY: Final = 50

_SIDE = 512


@dataclass(frozen=True)
class PlainHashes:
    """A picture's plain PDQ (32 bytes), its PDQ quality (0-100) and pHash (a 64-bit integer)."""

    pdq: bytes
    phash: int
    quality: int


def plain_hashes(data: bytes, *, our_pdq: bool = False) -> PlainHashes:
    with Image.open(io.BytesIO(data)) as opened:
        if opened.format == "JPEG":
            opened.draft("RGB", (_SIDE, _SIDE))
        picture = _on_white(opened)
    picture.thumbnail((_SIDE, _SIDE))
    pixels = np.asarray(picture)
    bits, quality = faster_pdq(pixels) if our_pdq else pdqhash.compute(pixels)
    pdq = np.packbits(bits.astype(np.uint8)).tobytes()
    phash = int(str(imagehash.phash(picture)), 16)
    return PlainHashes(pdq=pdq, phash=phash, quality=int(quality))


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image.convert("RGB")
