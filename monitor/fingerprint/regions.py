"""The large regions of an enrolled picture that are hashed besides the whole: what crops, strips
and small tilts of a re-upload still show.

PDQ does not survive a crop of 5-10%: the picture moves under its 16x16 DCT grid. So enrolment
hashes the windows a re-uploader is likely to keep -- centred and off-centre crops at several
scales, strips of the left, right, top or bottom, and the picture tilted by a few degrees -- and a
cropped re-upload lands near one of them. Every region is at least half the picture's width and
half its height (the issue's rule: nothing smaller, so the stored hashes cannot be assembled into
a picture), and only hashes of regions are kept (PDQ, pHash and dHash; the halves PDQ only).

Pure geometry and Pillow: no hashing here (that is `fingerprinter`).
"""

from __future__ import annotations

import math
from typing import Final

from PIL import Image

Box = tuple[int, int, int, int]  # left, top, right, bottom

# Crops that keep this share (percent) of both sides, anchored at 9 places: corners, edge
# midpoints and the centre. Steps of 5% because a PDQ of a 90% window is already 40-70 bits from
# the whole picture's.
WINDOW_SCALES: Final = (95, 90, 85, 80, 75, 70, 60)
ANCHORS: Final = {
    "tl": (0.0, 0.0),
    "t": (0.5, 0.0),
    "tr": (1.0, 0.0),
    "l": (0.0, 0.5),
    "c": (0.5, 0.5),
    "r": (1.0, 0.5),
    "bl": (0.0, 1.0),
    "b": (0.5, 1.0),
    "br": (1.0, 1.0),
}
# Strips that keep this share of one side and all of the other ("the left 70%").
STRIP_SCALES: Final = (90, 80, 70, 60)
_STRIP_ANCHORS: Final = {"cols": ("l", "c", "r"), "rows": ("t", "c", "b")}
# Tilts in degrees (counter-clockwise positive), each cut to the largest upright rectangle inside.
# Not kept on a grown canvas filled white or black (how editors rotate): the filled corner
# triangles are the same in every tilted picture, and a near-blank overlay tilted 5-10 degrees
# matched an unrelated photo's filled tilt at PDQ 28-30 (`python -m tests.bench.accuracy`).
TILTS: Final = (-10, -5, 5, 10)
# Pictures smaller than this (pixels, short side) get no region hashes: their regions are a
# few dozen pixels, too coarse for PDQ to tell apart.
MIN_REGION_SIDE: Final = 64


def _window_names() -> tuple[str, ...]:
    windows = tuple(f"win{scale}-{anchor}" for scale in WINDOW_SCALES for anchor in ANCHORS)
    strips = tuple(
        f"{axis}{scale}-{anchor}"
        for axis, anchors in _STRIP_ANCHORS.items()
        for scale in STRIP_SCALES
        for anchor in anchors
    )
    return windows + strips


def _tilt_name(degrees: int, kept: str) -> str:
    return f"tilt{degrees:+d}-{kept}"


WINDOW_VARIANTS: Final = _window_names()
TILT_VARIANTS: Final = tuple(_tilt_name(degrees, "inner") for degrees in TILTS)
# The halves of a picture (left, right, top, bottom), hashed on both sides -- the enrolled picture
# and every candidate -- PDQ from a copy scaled to fit `HALF_SIDE`, pHash and dHash from small
# grids of the whole (`half_hashes`): a sticker, a caption or a logo
# drawn on one half leaves the other half as it was, so the candidate's clean half matches the
# enrolled picture's. A half is exactly half a side, the smallest region the issue allows.
HALF_VARIANTS: Final = ("half-l", "half-r", "half-t", "half-b")
REGION_VARIANTS: Final = WINDOW_VARIANTS + TILT_VARIANTS + HALF_VARIANTS
# Halves are cut from a copy this big (long side): both sides must cut them from the same scale,
# as PDQ of one region differs by 15-20 bits between a 256- and a 512-pixel copy.
HALF_SIDE: Final = 256


def window_boxes(size: tuple[int, int]) -> list[tuple[str, Box]]:
    """Every crop window and strip of a picture of `size`, named like "win80-tl" or "cols70-l"."""
    boxes: list[tuple[str, Box]] = []
    if min(size) < MIN_REGION_SIDE:
        return boxes
    for scale in WINDOW_SCALES:
        for anchor, (x_at, y_at) in ANCHORS.items():
            box = _box(size, (scale, scale), (x_at, y_at))
            boxes.append((f"win{scale}-{anchor}", box))
    at = {"l": 0.0, "t": 0.0, "c": 0.5, "r": 1.0, "b": 1.0}
    for scale in STRIP_SCALES:
        for anchor in _STRIP_ANCHORS["cols"]:
            boxes.append((f"cols{scale}-{anchor}", _box(size, (scale, 100), (at[anchor], 0.0))))
    for scale in STRIP_SCALES:
        for anchor in _STRIP_ANCHORS["rows"]:
            boxes.append((f"rows{scale}-{anchor}", _box(size, (100, scale), (0.0, at[anchor]))))
    return [(name, box) for name, box in boxes if box[2] - box[0] >= 1 and box[3] - box[1] >= 1]


def half_boxes(size: tuple[int, int]) -> list[tuple[str, Box]]:
    """The four halves of a picture of `size`, named as in `HALF_VARIANTS`."""
    width, height = size
    if min(size) < MIN_REGION_SIDE // 2:
        return []
    # Rounded up: an odd side's half is never less than half of it.
    middle_x, middle_y = (width + 1) // 2, (height + 1) // 2
    boxes: list[Box] = [
        (0, 0, middle_x, height),
        (width - middle_x, 0, width, height),
        (0, 0, width, middle_y),
        (0, height - middle_y, width, height),
    ]
    return list(zip(HALF_VARIANTS, boxes, strict=True))


def tilted_versions(image: Image.Image) -> list[tuple[str, Image.Image]]:
    """The picture tilted by each of `TILTS` and cut to its inner rectangle."""
    versions: list[tuple[str, Image.Image]] = []
    if min(image.size) < MIN_REGION_SIDE:
        return versions
    for degrees in TILTS:
        inner = image.rotate(degrees, Image.Resampling.BICUBIC, expand=False)
        versions.append((_tilt_name(degrees, "inner"), inner.crop(inner_box(image.size, degrees))))
    return versions


def _box(size: tuple[int, int], scales: tuple[int, int], anchor: tuple[float, float]) -> Box:
    width, height = size
    kept_width = max(1, round(width * scales[0] / 100))
    kept_height = max(1, round(height * scales[1] / 100))
    left = round((width - kept_width) * anchor[0])
    top = round((height - kept_height) * anchor[1])
    return (left, top, left + kept_width, top + kept_height)


def inner_box(size: tuple[int, int], degrees: int) -> Box:
    """The largest axis-aligned rectangle of the picture's shape inside it turned by `degrees`
    about its centre (on a canvas of the same size)."""
    width, height = size
    angle = math.radians(abs(degrees))
    cos, sin = math.cos(angle), math.sin(angle)
    # A w x h rectangle of the picture's aspect fits when its turned corners stay inside:
    # w*cos + h*sin <= W and w*sin + h*cos <= H, with h = w * H / W.
    aspect = height / width
    kept_width = min(width / (cos + aspect * sin), height / (sin + aspect * cos))
    kept_height = kept_width * aspect
    left = (width - kept_width) / 2
    top = (height - kept_height) / 2
    right, bottom = math.floor(left + kept_width), math.floor(top + kept_height)
    return (min(math.ceil(left), right - 1), min(math.ceil(top), bottom - 1), right, bottom)
