"""Where an enrolled picture may sit inside a candidate: rectangles worth hashing on their own.

Re-uploads put the picture inside something else: meme caption bands, a phone screenshot's app
chrome, a collage with other pictures, another picture around it. The candidate as a whole then
hashes like none of the enrolled pictures, but the rectangle the picture fills does. Three kinds
of proposal, all found from the candidate's own pixels (nothing of them is kept):
  * "part-bands": the candidate with caption bands and app chrome cut off each side -- rows or
    columns mostly of the edge colour, text and icons in them allowed;
  * "part-rows": the same with only the top and bottom cut (a picture as wide as the screen);
  * "part-chrome": the same below where the top band first ends (an app's separator line), for
    a picture whose own top has the chrome's colour, which cutting bands eats into;
  * "part-cellN": the cells of a collage, split along full-length lines of flat colour (gaps):
    those across the whole grid first, then those across one row of cells;
  * "part-insetN": a rectangle framed by straight, long edges (a picture pasted into another);
  * "part-untiltN": when the candidate's four corners are one flat colour (a picture tilted on a
    filled canvas), the upright rectangle inside the picture had it been tilted by N degrees --
    what enrolment hashes as "tilt+N-inner" and "tilt-N-inner" (the rectangle is the same for
    both directions).
Candidate-side only: the issue lets candidates, which are public, be analysed freely.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from PIL import Image

from monitor.fingerprint.regions import TILTS, inner_box
from monitor.fingerprint.trim import outer_bars_box

Box = tuple[int, int, int, int]  # left, top, right, bottom

# Proposals are looked for on a copy of the candidate this big (long side, pixels).
ANALYSIS_SIDE: Final = 192

# A pixel within this many levels (every channel) of a reference colour counts as that colour.
COLOUR_TOLERANCE: Final = 14
# A row is part of a caption band or app chrome when at least this share of it is the edge
# colour: caption text and icons cover less than half of a band's row.
BAND_SHARE: Final = 0.55
# Bands are drawn flat: a pixel within this many levels of the edge colour is band colour, tight
# enough that a pale floor or sky next to a white band is not taken for more band.
BAND_TOLERANCE: Final = 8
# Caption bands and app chrome are white, black or grey: channels at most this far apart.
# Coloured flat edges are left to `trim.border_box` (frames); here they are sky and gradients.
BAND_COLOUR_SPREAD: Final = 24
# Runs of rows that are not band, this share of the side or shorter, are text lines or icons
# inside a band, not the start of the picture.
BAND_GAP: Final = 0.045
# Rows (of the analysis copy) that are not band between a top band and more band: an app's
# separator line above the picture, not the picture.
SEPARATOR_ROWS: Final = 2
# A collage gap is a full-length line of which this share is one flat colour.
GAP_SHARE: Final = 0.97
# Proposals smaller than this share of the candidate's width or height are not pictures anyone
# would recognise (and would only add chances of a false match). What is left after cutting
# bands needs this share of the candidate's shorter side only: a wide picture in a portrait
# phone screenshot fills the screen's width and under a quarter of its height.
MIN_SIDE_SHARE: Final = 0.25
# A proposal this close (share of the side, at every edge) to one already hashed is the same.
SAME_BOX: Final = 0.03
MAX_CELLS: Final = 6
MAX_INSETS: Final = 2
# An inset's edge is a column (row) where the brightness jumps by at least this much ...
EDGE_STEP: Final = 24
# ... along at least this share of the inset's height (width), in one unbroken-ish run.
EDGE_RUN: Final = 0.6
# A frame scores the mean share of its four sides that is a step, but no more than its weakest
# side plus this (one side of a pasted picture may run along something of its own colour).
FRAME_SLACK: Final = 0.25
# Candidate edges looked at per direction (the strongest columns, the strongest rows).
MAX_EDGE_LINES: Final = 10

PROPOSAL_VARIANTS: Final = (
    "part-bars",
    "part-bands",
    "part-rows",
    "part-chrome",
    *(f"part-cell{n}" for n in range(1, MAX_CELLS + 1)),
    *(f"part-inset{n}" for n in range(1, MAX_INSETS + 1)),
    *(f"part-untilt{degrees}" for degrees in sorted({abs(tilt) for tilt in TILTS})),
)
# Corner patches (pixels of the analysis copy) that must all be one flat colour for a candidate
# to be looked at as a tilted picture.
CORNER_PATCH: Final = 3
# ... and at most this share of it that colour: a 10-degree tilt fills about a quarter, but a
# dark wallpaper tilted on black or a graphic on white tilted on white shows 43-77% of the fill
# colour (a cap of 40% lost 6 of 48 tilts by 10 degrees, all found with it at 90%, and no false
# match came with them). Above 90% the candidate is all but blank.
MAX_TILT_FILL: Final = 0.9


def picture_proposals(image: Image.Image, *, already: Box | None = None) -> list[tuple[str, Box]]:
    """Named boxes of `image` that may be a picture embedded in it, best guesses first.

    The whole image and `already` (a box hashed anyway, such as the border-trimmed one) are left
    out, as are boxes smaller than a quarter of either side.
    """
    if min(image.size) < 16:
        return []
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    whole: Box = (0, 0, *rgb.size)
    inner = already or whole
    seen: list[Box] = [whole, inner]
    found: list[tuple[str, Box]] = []

    def offer(name: str, box: Box, *, of_short_side: bool = False) -> None:
        if _big_enough(box, whole, of_short_side=of_short_side) and not any(
            _same(box, other, whole) for other in seen
        ):
            seen.append(box)
            found.append((name, box))

    # Bands and insets are found on a small copy (fast; a box a pixel off there is well within
    # PDQ's tolerance). Collage gaps can be two pixels wide, so cells are found at full size.
    factor = min(math.ceil(max(rgb.size) / ANALYSIS_SIDE), min(rgb.size) // 16)
    small = rgb.reduce(factor) if factor >= 2 else rgb
    pixels = np.asarray(small, dtype=np.int16)
    x_back, y_back = rgb.width / small.width, rgb.height / small.height

    def back(box: Box) -> Box:
        left, top, right, bottom = box
        return (
            round(left * x_back),
            round(top * y_back),
            round(right * x_back),
            round(bottom * y_back),
        )

    full = np.asarray(rgb)
    reach = max(2, round(max(x_back, y_back) * 1.5))
    # Inside the outermost bars only (`trim.outer_bars_box`), at full size: where trimming went
    # on into a flat picture's own plain edges (a logo on blue, letterboxed in pink).
    offer("part-bars", outer_bars_box(rgb))
    rows_only, all_sides = band_boxes(pixels)
    offer("part-bands", snap_box(full, back(all_sides), reach=reach), of_short_side=True)
    offer("part-rows", snap_box(full, back(rows_only), reach=reach), of_short_side=True)
    below_chrome = _below_top_chrome(pixels, rows_only)
    if below_chrome is not None:
        offer("part-chrome", snap_box(full, back(below_chrome), reach=reach), of_short_side=True)
    grey = np.asarray(rgb.convert("L"), dtype=np.int16)
    for number, cell in enumerate(collage_cells(grey, within=inner)[:MAX_CELLS]):
        offer(f"part-cell{number + 1}", cell)
    for number, inset in enumerate(inset_boxes(pixels)[:MAX_INSETS]):
        offer(f"part-inset{number + 1}", snap_box(full, back(inset), reach=reach))
    if _corners_filled(pixels):
        for name, box in untilt_boxes(rgb.size):
            offer(name, box)
    return found


def untilt_boxes(size: tuple[int, int]) -> list[tuple[str, Box]]:
    """For each tilt of `regions.TILTS` (either direction), the upright rectangle inside a picture
    tilted that much on a grown canvas of `size`: the canvas is w*cos+h*sin by w*sin+h*cos, so
    the picture's own w x h follows, and its inner rectangle sits at the canvas's centre."""
    width, height = size
    boxes: list[tuple[str, Box]] = []
    for degrees in sorted({abs(tilt) for tilt in TILTS}):
        cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
        picture_width = (width * cos - height * sin) / (cos * cos - sin * sin)
        picture_height = (height * cos - width * sin) / (cos * cos - sin * sin)
        if min(picture_width, picture_height) < 16:
            continue
        left, top, right, bottom = inner_box((round(picture_width), round(picture_height)), degrees)
        x_shift = round((width - picture_width) / 2)
        y_shift = round((height - picture_height) / 2)
        box = (left + x_shift, top + y_shift, right + x_shift, bottom + y_shift)
        if 0 <= box[0] < box[2] <= width and 0 <= box[1] < box[3] <= height:
            boxes.append((f"part-untilt{degrees}", box))
    return boxes


def _corners_filled(pixels: np.ndarray) -> bool:
    """True when the four corners are one flat colour (a tilted picture's filled canvas)."""
    patch = CORNER_PATCH
    if min(pixels.shape[:2]) < 4 * patch:
        return False
    corners = np.concatenate(
        [
            pixels[:patch, :patch].reshape(-1, 3),
            pixels[:patch, -patch:].reshape(-1, 3),
            pixels[-patch:, :patch].reshape(-1, 3),
            pixels[-patch:, -patch:].reshape(-1, 3),
        ]
    )
    if not np.all(np.abs(corners - corners[0]) <= COLOUR_TOLERANCE):
        return False
    # A tilt of 10 degrees fills about a quarter of the canvas; an all but blank picture far more.
    fill = _every_channel(np.abs(pixels - corners[0]) <= COLOUR_TOLERANCE)
    return float(fill.mean()) <= MAX_TILT_FILL


def snap_box(pixels: np.ndarray, box: Box, *, reach: int) -> Box:
    """`box` with each side moved (at most `reach` pixels) onto the strongest step near it: a box
    found on a small copy is a pixel or two off at full size, and PDQ notices."""
    height, width = pixels.shape[:2]
    left, top, right, bottom = box
    if right - left < 4 or bottom - top < 4:
        return box
    columns = pixels[top:bottom].transpose(1, 0, 2)  # column, row, channel
    rows = pixels[:, left:right]  # row, column, channel
    left = _strongest_step(columns, left, reach=reach, limit=width)
    right = _strongest_step(columns, right, reach=reach, limit=width)
    top = _strongest_step(rows, top, reach=reach, limit=height)
    bottom = _strongest_step(rows, bottom, reach=reach, limit=height)
    return (left, top, right, bottom) if right > left and bottom > top else box


def _strongest_step(lines: np.ndarray, at: int, *, reach: int, limit: int) -> int:
    """The boundary (between line b-1 and line b) within `reach` of `at` where the lines differ
    most; `at` itself when it is the image's own edge."""
    if at <= 0 or at >= limit:
        return at
    first, last = max(1, at - reach), min(limit - 1, at + reach)
    near = lines[first - 1 : last + 1].astype(np.int16)
    steps = _largest_channel(np.abs(near[1:] - near[:-1])).mean(axis=1)
    return first + int(np.argmax(steps))


def _every_channel(mask: np.ndarray) -> np.ndarray:
    """`mask.all(axis=-1)` for 3 channels; numpy reduces a trailing axis of 3 several times
    slower than it combines three planes."""
    every: np.ndarray = mask[..., 0] & mask[..., 1] & mask[..., 2]
    return every


def _any_channel(mask: np.ndarray) -> np.ndarray:
    """`mask.any(axis=-1)` for 3 channels (see `_every_channel`)."""
    some: np.ndarray = mask[..., 0] | mask[..., 1] | mask[..., 2]
    return some


def _largest_channel(values: np.ndarray) -> np.ndarray:
    """`values.max(axis=-1)` for 3 channels (see `_every_channel`)."""
    largest: np.ndarray = np.maximum(np.maximum(values[..., 0], values[..., 1]), values[..., 2])
    return largest


def band_boxes(pixels: np.ndarray) -> tuple[Box, Box]:
    """The boxes left when caption bands and app chrome are cut off: (top and bottom only, every
    side). Cut repeatedly, as a screenshot has a navigation bar below a caption area of another
    grey. The rows-only box is for a picture as wide as the screen or meme whose own edge is of
    the chrome's colour (a white flower in a white app), which a column cut would eat into.
    A cut that would leave less than `MIN_SIDE_SHARE` of the shorter side has gone into a flat
    picture (a grey moon below a white caption area): the box before it is kept."""
    height, width = pixels.shape[:2]
    left, top, right, bottom = (0, 0, width, height)
    rows_only: Box | None = None
    smallest = min(width, height) * MIN_SIDE_SHARE
    for _ in range(6):
        before: Box = (left, top, right, bottom)
        # Rows until none is cut, then columns of what is left: a screenshot's columns are mostly
        # chrome until its top and bottom are all cut off.
        rows = pixels[top:bottom, left:right]
        top_cut = _band_depth(rows, keep=smallest)
        bottom_cut = _band_depth(rows[::-1], keep=smallest)
        top, bottom = top + top_cut, bottom - bottom_cut
        left_cut = right_cut = 0
        if not (top_cut or bottom_cut):
            rows_only = rows_only or (left, top, right, bottom)
            columns = pixels[top:bottom, left:right].transpose(1, 0, 2)
            left_cut = _band_depth(columns, keep=smallest)
            right_cut = _band_depth(columns[::-1], keep=smallest)
            left, right = left + left_cut, right - right_cut
        if not (top_cut or bottom_cut or left_cut or right_cut):
            break
        if right - left < smallest or bottom - top < smallest:
            return (rows_only or before, before)
    return (rows_only or (left, top, right, bottom), (left, top, right, bottom))


def _below_top_chrome(pixels: np.ndarray, rows_only: Box) -> Box | None:
    """`rows_only` with its top moved up to where the candidate's top band really ends: below an
    app's separator line (a row or two of one flat colour), or at the first run of non-band rows
    too long to be a line of text. `band_boxes` cuts on into a picture whose own top edge is band
    coloured (a white sky under a white app's chrome, or under a dark app's, on the next cut).
    None when there is no top band, or it ends where `rows_only` starts."""
    left, top, right, bottom = rows_only
    lines = pixels[:bottom, left:right]
    count = lines.shape[0]
    if count < 4 or lines.shape[1] == 0:
        return None
    edge = _band_colour(lines[0])
    if edge is None:
        return None
    not_band = _every_channel(np.abs(lines - edge) <= BAND_TOLERANCE).mean(axis=1) < BAND_SHARE
    if not_band[0]:
        return None
    text_line = max(2, round(count * BAND_GAP))
    row = 0
    while True:
        stops = np.flatnonzero(not_band[row:])
        if not stops.size:
            return None
        first = row + int(stops[0])
        ends = np.flatnonzero(~not_band[first:])
        run = int(ends[0]) if ends.size else count - first
        if run <= SEPARATOR_ROWS and _flat_rows(lines[first : first + run]):
            start = first + run
            break
        if run >= text_line:
            start = first
            break
        row = first + run  # a line of text or icons inside the band
    return (left, start, right, bottom) if start < top else None


def _flat_rows(rows: np.ndarray) -> bool:
    """Whether every row (row, position, channel) is one flat colour, as a separator line is."""
    middle = np.median(rows, axis=1)[:, None, :]
    return bool(
        (_every_channel(np.abs(rows - middle) <= BAND_TOLERANCE).mean(axis=1) >= GAP_SHARE).all()
    )


def _band_colour(line: np.ndarray) -> np.ndarray | None:
    """The colour of an edge line (position, channel) if it can be a band's: white, black or grey
    (`BAND_COLOUR_SPREAD`); None for a coloured edge."""
    edge: np.ndarray = np.median(line, axis=0)
    return None if float(edge.max() - edge.min()) > BAND_COLOUR_SPREAD else edge


def _band_depth(lines: np.ndarray, *, keep: float) -> int:
    """How many leading lines (line, position, channel) are band of the first line's colour;
    0 when cutting them would leave fewer than `keep` lines."""
    count = lines.shape[0]
    if count < 4 or lines.shape[1] == 0:
        return 0
    edge = _band_colour(lines[0])
    if edge is None:
        return 0  # a coloured edge is the picture's own (a sky, a gradient), not a band
    if _every_channel(np.abs(lines[0] - edge) <= BAND_TOLERANCE).mean() < BAND_SHARE:
        return 0  # the first line is not band (most pictures): spare looking at the rest
    near = _every_channel(np.abs(lines - edge) <= BAND_TOLERANCE).mean(axis=1)
    not_band = near < BAND_SHARE
    if not_band[0]:
        return 0
    gap = max(2, round(count * BAND_GAP))
    # The picture starts where `gap` lines in a row are not band.
    runs = np.convolve(not_band.astype(np.int32), np.ones(gap, dtype=np.int32), mode="valid")
    starts = np.flatnonzero(runs == gap)
    if starts.size == 0:
        return 0  # all band: a flat picture, not a picture in a frame
    depth = int(starts[0])
    return depth if count - depth >= keep else 0


def collage_cells(grey: np.ndarray, *, within: Box) -> list[Box]:
    """Cells between full-length flat lines (collage gaps) of a greyscale picture (rows,
    columns), largest first; [] when there is no gap."""
    left, top, right, bottom = within
    region = grey[top:bottom, left:right]
    rows = _pieces(region, axis=0)
    # A grid first: gaps that run the whole height. Columns flat within one strip only are also
    # gaps between that strip's cells (a row of two above a row of three), but a dark or pale
    # picture is flat within its strip too, and would vanish among them.
    grid = [
        (column_start, row_start, column_end, row_end)
        for row_start, row_end in rows
        for column_start, column_end in _pieces(region, axis=1)
    ]
    by_strip = [
        (column_start, row_start, column_end, row_end)
        for row_start, row_end in rows
        for column_start, column_end in _pieces(region[row_start:row_end], axis=1)
    ]
    cells: list[Box] = []
    for cell in grid + by_strip:
        if cell not in cells:
            cells.append(cell)
    if len(grid) <= 1 and len(by_strip) <= 1:
        return []
    largest_first = sorted(cells, key=lambda box: -(box[2] - box[0]) * (box[3] - box[1]))
    return [(x0 + left, y0 + top, x1 + left, y1 + top) for x0, y0, x1, y1 in largest_first]


def _pieces(region: np.ndarray, *, axis: int) -> list[tuple[int, int]]:
    """Spans between flat lines across `axis` (0: rows, 1: columns), each big enough to keep."""
    lines = region if axis == 0 else region.T
    count = lines.shape[0]
    if count == 0 or lines.shape[1] == 0:
        return []
    # The mean, not the median, of each line: as good for a flat line and much cheaper.
    mean = lines.mean(axis=1, keepdims=True)
    flat = (np.abs(lines - mean) <= COLOUR_TOLERANCE).mean(axis=1) >= GAP_SHARE
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for index, is_flat in enumerate([*flat.tolist(), True]):
        if not is_flat and start is None:
            start = index
        elif is_flat and start is not None:
            if index - start >= count * MIN_SIDE_SHARE:
                spans.append((start, index))
            start = None
    return spans


def inset_boxes(pixels: np.ndarray) -> list[Box]:
    """Rectangles framed by long straight brightness steps on all four sides, best first."""
    height, width = pixels.shape[:2]
    # Steps between pixels two apart, so a step softened over one pixel by resizing still counts;
    # in any channel, as an orange next to a blue can be the same grey.
    column_steps = _any_channel(np.abs(pixels[:, 2:] - pixels[:, :-2]) >= EDGE_STEP)
    row_steps = _any_channel(np.abs(pixels[2:, :] - pixels[:-2, :]) >= EDGE_STEP)
    columns = _strong_lines(_lone(column_steps.T), minimum=height * MIN_SIDE_SHARE * EDGE_RUN)
    rows = _strong_lines(_lone(row_steps), minimum=width * MIN_SIDE_SHARE * EDGE_RUN)
    x0, x1 = _spans(columns, shortest=width * MIN_SIDE_SHARE)
    y0, y1 = _spans(rows, shortest=height * MIN_SIDE_SHARE)
    if not (x0.size and y0.size):
        return []
    # Share of each side of every (column span, row span) frame that is a step, from running
    # sums along the lines: (column spans, row spans) arrays.
    down = np.vstack([np.zeros((1, column_steps.shape[1])), np.cumsum(column_steps, axis=0)])
    across = np.hstack([np.zeros((row_steps.shape[0], 1)), np.cumsum(row_steps, axis=1)])
    tall = (y1 - y0)[None, :]
    wide = (x1 - x0)[:, None]
    sides = np.stack(
        [
            (down[np.ix_(y1 + 1, x0)].T - down[np.ix_(y0 + 1, x0)].T) / tall,
            (down[np.ix_(y1 + 1, x1)].T - down[np.ix_(y0 + 1, x1)].T) / tall,
            (across[np.ix_(y0, x1 + 1)].T - across[np.ix_(y0, x0 + 1)].T) / wide,
            (across[np.ix_(y1, x1 + 1)].T - across[np.ix_(y1, x0 + 1)].T) / wide,
        ]
    )
    scores = np.minimum(sides.min(axis=0) + FRAME_SLACK, sides.mean(axis=0))
    whole = ((x0 + 1 <= 1) & (x1 + 1 >= width - 1))[:, None] & (
        (y0 + 1 <= 1) & (y1 + 1 >= height - 1)
    )[None, :]
    scores[whole] = 0
    order = np.argsort(-scores, axis=None)
    boxes: list[Box] = []
    for flat in order[: MAX_INSETS * 4]:
        column_span, row_span = np.unravel_index(flat, scores.shape)
        if scores[column_span, row_span] < EDGE_RUN:
            break
        boxes.append(
            (
                int(x0[column_span]) + 1,
                int(y0[row_span]) + 1,
                int(x1[column_span]) + 1,
                int(y1[row_span]) + 1,
            )
        )
    return boxes


def _lone(steps: np.ndarray) -> np.ndarray:
    """Steps (lines, positions) without steps on both sides 3 lines away: the edge of something,
    not the inside of a texture, where every line has steps."""
    before = np.zeros_like(steps)
    after = np.zeros_like(steps)
    before[3:] = steps[:-3]
    after[:-3] = steps[3:]
    lone: np.ndarray = steps & ~(before & after)
    return lone


def _spans(lines: list[int], *, shortest: float) -> tuple[np.ndarray, np.ndarray]:
    """Every (start, end) pair of `lines` at least `shortest` apart, as two index arrays."""
    pairs = [(a, b) for a in lines for b in lines if b - a >= shortest]
    starts = np.array([a for a, _ in pairs], dtype=np.int64)
    ends = np.array([b for _, b in pairs], dtype=np.int64)
    return starts, ends


def _strong_lines(steps: np.ndarray, *, minimum: float) -> list[int]:
    """Indices of lines (rows of `steps`) with at least `minimum` steps, local peaks only, at
    most `MAX_EDGE_LINES` of them (the strongest)."""
    counts = steps.sum(axis=1)
    padded = np.pad(counts, 2, constant_values=-1)
    nearby = np.max([padded[shift : shift + len(counts)] for shift in range(5)], axis=0)
    peaks = np.flatnonzero((counts >= minimum) & (counts >= nearby))
    strongest = peaks[np.argsort(-counts[peaks], kind="stable")[:MAX_EDGE_LINES]]
    return sorted(int(index) for index in strongest)


def _big_enough(box: Box, whole: Box, *, of_short_side: bool) -> bool:
    width, height = box[2] - box[0], box[3] - box[1]
    if of_short_side:
        smallest = min(whole[2], whole[3]) * MIN_SIDE_SHARE
        return width >= smallest and height >= smallest
    return width >= whole[2] * MIN_SIDE_SHARE and height >= whole[3] * MIN_SIDE_SHARE


def _same(box: Box, other: Box, whole: Box) -> bool:
    slack_x, slack_y = whole[2] * SAME_BOX, whole[3] * SAME_BOX
    return (
        abs(box[0] - other[0]) <= slack_x
        and abs(box[2] - other[2]) <= slack_x
        and abs(box[1] - other[1]) <= slack_y
        and abs(box[3] - other[3]) <= slack_y
    )
