"""Cutting flat bars (borders, letterboxing) off the edges of a picture before it is hashed.

Re-uploads often sit in a frame or between black bars, and PDQ does not survive a border; cut
off, the picture inside hashes as it did before.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from PIL import Image

# A pixel within this many levels (in every channel) of the edge colour counts as border. Tight
# enough that low-contrast content (stripes, dark skies) is not eaten, loose enough for the noise
# a JPEG leaves in a flat bar; measured with tests/bench/fingerprint_speed.py.
BORDER_TOLERANCE: Final = 12
# A row or column is border when this share of its pixels is near the edge colour (JPEG ringing,
# a watermark in a bar).
BORDER_SHARE: Final = 0.98
# Trimming never leaves less than this share of a side: a picture that is "all border" on a side
# is a picture of flat colour and stays as it is.
MIN_KEPT_SHARE: Final = 0.05
# A border inside a border (a frame around letterboxing) takes another pass; trimming stops when a
# pass changes nothing.
MAX_PASSES: Final = 8


def trim_borders(image: Image.Image) -> Image.Image:
    """Crop near-constant bars of any colour (borders, letterboxing) from each side.

    Each side is judged against the colour of its own outermost row or column, so bars of
    different colours on different sides all go, and a frame around a letterboxed picture goes
    in a second pass. A side is never trimmed to less than 5% of the picture: an image of one
    flat colour comes back unchanged (the same object, as when there is nothing to trim).
    """
    box = border_box(image)
    return image if box == (0, 0, *image.size) else image.crop(box)


def border_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The (left, top, right, bottom) box `trim_borders` keeps; the whole image when no border."""
    rgb_image = image.convert("RGB")
    if not _any_edge_flat(rgb_image):
        return (0, 0, *rgb_image.size)
    planes = _planes(rgb_image)
    height, width = planes.shape[1:]
    box = (0, 0, width, height)
    for _ in range(MAX_PASSES):
        inner = _trim_box(planes, box)
        if inner == box:
            break
        box = inner
    return box


def outer_bars_box(image: Image.Image) -> tuple[int, int, int, int]:
    """The box inside the outermost bars only: each side's bar judged on its whole outermost row
    or column, in one pass. Letterbox bars above and below a picture whose own top and sides are
    flat (a logo on a plain background) go, and the picture's own plain edges stay, as they were
    when it was enrolled; `border_box` goes on into them. The whole image when no edge is flat."""
    rgb_image = image.convert("RGB")
    width, height = rgb_image.size
    if not _any_edge_flat(rgb_image):
        return (0, 0, width, height)
    planes = _planes(rgb_image)
    columns = planes.transpose(0, 2, 1)
    top = _border_depth(planes, limit=height)
    bottom = height - _border_depth(planes[:, ::-1], limit=height - top)
    left = _border_depth(columns, limit=width)
    right = width - _border_depth(columns[:, ::-1], limit=width - left)
    return (left, top, right, bottom)


def _planes(rgb_image: Image.Image) -> np.ndarray:
    """The picture's pixels as signed planes: (channel, row, column)."""
    return np.ascontiguousarray(np.asarray(rgb_image, dtype=np.int16).transpose(2, 0, 1))


def _any_edge_flat(image: Image.Image) -> bool:
    """Whether any outermost row or column could start a border: most pictures have none, and
    this look at four lines spares them converting every pixel."""
    width, height = image.size
    if width < 2 or height < 2:
        return False
    for box in (
        (0, 0, width, 1),
        (0, height - 1, width, height),
        (0, 0, 1, height),
        (width - 1, 0, width, height),
    ):
        line = np.asarray(image.crop(box), dtype=np.int16).reshape(-1, 3)
        colour = np.median(line, axis=0).round().astype(np.int16)
        if (np.abs(line - colour) <= BORDER_TOLERANCE).all(axis=1).mean() >= BORDER_SHARE:
            return True
    return False


def _trim_box(planes: np.ndarray, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    rows = planes[:, top:bottom, left:right]
    top_depth = _border_depth(rows, limit=bottom - top)
    bottom_depth = _border_depth(rows[:, ::-1], limit=bottom - top - top_depth)
    top, bottom = top + top_depth, bottom - bottom_depth
    columns = planes[:, top:bottom, left:right].transpose(0, 2, 1)
    left_depth = _border_depth(columns, limit=right - left)
    right_depth = _border_depth(columns[:, ::-1], limit=right - left - left_depth)
    return (left + left_depth, top, right - right_depth, bottom)


def _border_depth(lines: np.ndarray, *, limit: int) -> int:
    """How many leading lines of `lines` (channel, line, position) match its first line's colour."""
    total, length = lines.shape[1], lines.shape[2]
    keep_at_least = max(1, int(np.ceil(total * MIN_KEPT_SHARE)))
    if limit <= keep_at_least or length == 0:
        return 0
    edge_colour = np.median(lines[:, 0], axis=1).round().astype(np.int16)[:, None, None]
    depth, chunk = 0, 8
    while depth < limit:
        # Growing chunks: a picture without borders costs one small chunk per side.
        block = lines[:, depth : min(limit, depth + chunk)]
        near = (np.abs(block - edge_colour) <= BORDER_TOLERANCE).all(axis=0)
        not_border = np.flatnonzero(near.mean(axis=1) < BORDER_SHARE)
        if not_border.size:
            depth += int(not_border[0])
            break
        depth += block.shape[1]
        chunk *= 2
    return 0 if limit - depth < keep_at_least else depth
