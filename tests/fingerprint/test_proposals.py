"""Candidate-side proposals: where a picture sits inside a meme, screenshot, collage or another
picture. Composites are drawn here the way `tests.bench.compositions` makes them."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from monitor.fingerprint import (
    IndexEntry,
    MatchIndex,
    MatchSettings,
    fingerprint_candidate,
    fingerprint_enrolled,
)
from monitor.fingerprint.proposals import (
    COLOUR_TOLERANCE,
    PROPOSAL_VARIANTS,
    Box,
    _any_channel,
    _every_channel,
    _largest_channel,
    picture_proposals,
    untilt_boxes,
)
from monitor.fingerprint.regions import inner_box
from tests.bench import compositions
from tests.fingerprint.conftest import MAX_PIXELS, drawn_picture, encode

PICTURE = drawn_picture(11, size=(600, 450))
OTHERS = [drawn_picture(seed, size=(500, 400)) for seed in (21, 22, 23)]


def _near(box: Box, expected: Box, *, slack: int) -> bool:
    return all(abs(a - b) <= slack for a, b in zip(box, expected, strict=True))


def test_caption_bands_are_cut_off() -> None:
    meme = compositions.meme_caption(PICTURE, random.Random(1))
    top = next(y for y in range(meme.height) if meme.getpixel((5, y)) != (255, 255, 255))
    found = dict(picture_proposals(meme))
    assert _near(found["part-bands"], (0, top, 600, top + 450), slack=3)


def test_a_screenshot_gives_the_picture_inside_its_chrome() -> None:
    screen = compositions.phone_screenshot(PICTURE, random.Random(2))
    screen.thumbnail((512, 512))
    left, top, right, bottom = dict(picture_proposals(screen))["part-bands"]
    scale = 512 / 2340
    expected_height = 1080 * 450 / 600 * scale
    assert abs((bottom - top) - expected_height) <= 4
    assert abs(top - 212 * scale) <= 3
    assert right - left >= screen.width - 6  # a dark edge of the picture may go with the chrome


def test_a_picture_as_wide_as_the_screen_keeps_its_white_edges() -> None:
    """A picture whose left and right edges are white, in a light app: a column cut would take
    its edges for chrome, so the rows-only proposal keeps the full width."""
    picture = PICTURE.copy()
    picture.paste("white", (0, 0, 60, 450))
    picture.paste("white", (540, 0, 600, 450))
    light = next(seed for seed in range(20) if random.Random(seed).random() >= 0.5)
    screen = compositions.phone_screenshot(picture, random.Random(light))
    screen.thumbnail((512, 512))
    found = dict(picture_proposals(screen))
    left, top, right, bottom = found["part-rows"]
    assert (left, right) == (0, screen.width)
    assert abs(top - 212 * 512 / 2340) <= 3
    assert abs((bottom - top) - 1080 * 450 / 600 * 512 / 2340) <= 4
    assert found["part-bands"][0] > 0  # where the rows-only proposal is needed


def test_rows_are_cut_before_columns() -> None:
    """A light screenshot has a white caption area above a grey navigation bar: with the columns
    judged before both are cut, the white below the picture made its columns look like chrome."""
    for seed in range(3):
        picture = drawn_picture(seed, size=(600, 450))
        screen = compositions.phone_screenshot(picture, random.Random(0))
        screen.thumbnail((512, 512))
        left, _top, right, _bottom = dict(picture_proposals(screen))["part-bands"]
        assert (left, right) == (0, screen.width), seed


def test_a_wide_picture_in_a_portrait_screenshot_is_proposed() -> None:
    """A 2.4:1 picture fills the screen's width and 19% of its height: less than a quarter of
    the candidate's height, more than a quarter of its width (its shorter side)."""
    wide = drawn_picture(5, size=(960, 400))
    for seed in range(2):
        screen = compositions.phone_screenshot(wide, random.Random(seed))
        screen.thumbnail((512, 512))
        scale = 512 / 2340
        left, top, right, bottom = dict(picture_proposals(screen))["part-bands"]
        assert abs(top - 212 * scale) <= 3, seed
        assert abs((bottom - top) - 1080 * 400 / 960 * scale) <= 4, seed
        assert right - left >= screen.width - 6, seed


def test_a_flat_edge_of_the_picture_is_not_cut_as_a_band_past_the_picture() -> None:
    """Below a light app's white caption area, a picture whose lower part is a flat grey: cutting
    bands again from the bottom went through the grey until too little was left, and then no
    band proposal was made at all. The box before that cut is kept."""
    picture = PICTURE.copy()
    noise = np.random.default_rng(3).normal(150, 2, size=(300, 600, 1)).repeat(3, axis=2)
    picture.paste(Image.fromarray(noise.clip(0, 255).astype(np.uint8)), (0, 150))
    light = next(seed for seed in range(20) if random.Random(seed).random() >= 0.5)
    screen = compositions.phone_screenshot(picture, random.Random(light))
    screen.thumbnail((512, 512))
    scale = 512 / 2340
    found = dict(picture_proposals(screen))
    assert "part-bands" in found or "part-rows" in found
    _left, top, _right, bottom = found.get("part-rows", found.get("part-bands"))
    assert abs(top - 212 * scale) <= 3
    # At least the picture's upper, structured part stays in the box.
    assert bottom - top >= 150 * 1080 / 600 * scale - 3


def _flat_picture() -> Image.Image:
    """A soft picture on a gradient: too flat for a candidate part's PDQ (quality 61 < 65)."""
    picture = Image.linear_gradient("L").rotate(90).resize((600, 450)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    draw.ellipse((350, 120, 520, 330), fill=(200, 90, 60))
    draw.rectangle((60, 260, 200, 400), fill=(40, 60, 160))
    return picture.filter(ImageFilter.GaussianBlur(12))


def test_a_flat_picture_between_caption_bands_matches_through_phash_and_dhash() -> None:
    picture = _flat_picture()
    index = MatchIndex(
        (
            IndexEntry("client", 0, h)
            for h in fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
        ),
        settings=MatchSettings(),
    )
    meme = encode(compositions.meme_caption(picture, random.Random(5)), "JPEG", quality=85)
    hashes = fingerprint_candidate(meme, max_pixels=MAX_PIXELS)
    band_hashes = tuple(h for h in hashes if h.variant in ("part-bands", "part-rows"))
    assert {h.algorithm for h in band_hashes} == {"phash", "dhash"}  # no PDQ: too flat
    assert [(m.item_id, m.algorithm) for m in index.match(band_hashes)] == [(0, "phash+dhash")]
    assert [match.item_id for match in index.match(hashes)] == [0]


@pytest.mark.parametrize("seed", [0, 1])  # a light and a dark app
def test_a_picture_with_a_white_sky_in_a_screenshot_is_found_below_the_chrome(seed: int) -> None:
    # Cutting bands goes on into a white sky (white like a light app's chrome, and after a dark
    # app's chrome the next band cut): the picture's top is where the first band stops.
    picture = PICTURE.copy()
    ImageDraw.Draw(picture).rectangle((0, 0, 600, 150), fill="white")
    screenshot = compositions.phone_screenshot(picture, random.Random(seed))
    found = dict(picture_proposals(screenshot))
    picture_top = 212  # where phone_screenshot pastes the picture
    assert found["part-bands"][1] > picture_top + 100
    assert abs(found["part-chrome"][1] - picture_top) <= 3
    index = MatchIndex(
        (
            IndexEntry("client", 0, h)
            for h in fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
        ),
        settings=MatchSettings(),
    )
    hashes = fingerprint_candidate(encode(screenshot, "JPEG"), max_pixels=MAX_PIXELS)
    below_chrome = [h for h in hashes if h.variant == "part-chrome"]
    assert [match.item_id for match in index.match(below_chrome)] == [0]


def test_no_chrome_proposal_without_a_top_band() -> None:
    assert "part-chrome" not in dict(picture_proposals(PICTURE))
    meme = compositions.meme_caption(PICTURE, random.Random(5))
    found = dict(picture_proposals(meme))
    assert "part-chrome" not in found or _near(found["part-chrome"], found["part-rows"], slack=3)


def test_a_collage_is_split_into_its_cells() -> None:
    collage = compositions.collage(PICTURE, random.Random(3), OTHERS)
    cells = [box for name, box in picture_proposals(collage) if name.startswith("part-cell")]
    assert len(cells) == 4
    widths = {right - left for left, _top, right, _bottom in cells}
    assert max(widths) - min(widths) <= 2


def test_collage_cells_of_a_dark_and_a_pale_picture_are_found_by_the_grid() -> None:
    # A near-black picture is flat within its row of cells, and a pale one with a small mark is
    # flat either side of the mark: split row by row, both vanished among the gaps. Gaps run the
    # whole height and width of the grid; the dark picture's columns do not.
    dark = Image.eval(drawn_picture(24, size=(500, 400)), lambda level: level // 14)
    pale = Image.new("RGB", (500, 400), (236, 236, 236))
    ImageDraw.Draw(pale).ellipse((200, 150, 300, 250), outline=(120, 160, 120), width=6)
    collage = compositions.collage(PICTURE, random.Random(3), [dark, pale, OTHERS[0]])
    cells = [box for name, box in picture_proposals(collage) if name.startswith("part-cell")]
    gap = collage.width // 2
    quadrants = {
        (left < gap, top < collage.height // 2) for left, top, _right, _bottom in cells[:4]
    }
    assert len(quadrants) == 4
    widths = {right - left for left, _top, right, _bottom in cells[:4]}
    assert max(widths) - min(widths) <= 2


def test_a_picture_pasted_into_another_is_found_by_its_edges() -> None:
    canvas = compositions.inside_other(PICTURE, random.Random(4), OTHERS[:1])
    half = PICTURE.resize((300, 225))
    # inside_other picks the spot with the rng; find it by matching pixels.
    pixels = np.asarray(canvas, dtype=np.int16)
    target = np.asarray(half, dtype=np.int16)
    spot = next(
        (x, y)
        for y in range(canvas.height - 224)
        for x in range(canvas.width - 299)
        if np.abs(pixels[y, x] - target[0, 0]).max() <= 1
        and np.abs(pixels[y + 224, x + 299] - target[224, 299]).max() <= 1
    )
    insets = [box for name, box in picture_proposals(canvas) if name.startswith("part-inset")]
    assert any(_near(box, (*spot, spot[0] + 300, spot[1] + 225), slack=2) for box in insets)


def test_a_plain_photo_gets_few_proposals() -> None:
    names = [name for name, _box in picture_proposals(PICTURE)]
    assert len(names) <= 3
    assert set(names) <= set(PROPOSAL_VARIANTS)


@pytest.mark.parametrize("degrees", [-10, -5, 5, 10])
@pytest.mark.parametrize("fill", ["white", "black"])
def test_a_picture_tilted_on_a_filled_canvas_gives_its_inner_rectangle(
    degrees: int, fill: str
) -> None:
    tilted = PICTURE.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    found = dict(picture_proposals(tilted))
    left, top, right, bottom = inner_box(PICTURE.size, degrees)
    # The same rectangle enrolment hashes as "tilt{degrees:+d}-inner", centred on the canvas.
    x_shift, y_shift = (tilted.width - 600) / 2, (tilted.height - 450) / 2
    expected = (left + x_shift, top + y_shift, right + x_shift, bottom + y_shift)
    box = found[f"part-untilt{abs(degrees)}"]
    assert _near(box, tuple(round(v) for v in expected), slack=2)  # type: ignore[arg-type]


def test_a_dark_picture_tilted_on_black_gives_its_inner_rectangle() -> None:
    # Most of a dark wallpaper is as black as the canvas it was tilted on: the fill colour covers
    # far more than the quarter a 10-degree tilt adds, and it is still a tilted picture.
    dark = Image.eval(PICTURE.convert("L"), lambda level: max(0, level - 80)).convert("RGB")
    tilted = dark.rotate(10, Image.Resampling.BICUBIC, expand=True, fillcolor="black")
    pixels = np.asarray(tilted, dtype=np.int16)
    assert (pixels.max(axis=2) <= COLOUR_TOLERANCE).mean() > 0.4
    assert "part-untilt10" in dict(picture_proposals(tilted))


def test_an_all_but_blank_picture_gets_no_untilt_proposals() -> None:
    blank = Image.new("RGB", (600, 450), "white")
    ImageDraw.Draw(blank).rectangle((250, 200, 330, 250), fill=(30, 90, 160))
    tilted = blank.rotate(10, Image.Resampling.BICUBIC, expand=True, fillcolor="white")
    assert not any(name.startswith("part-untilt") for name, _box in picture_proposals(tilted))


def test_an_upright_picture_gets_no_untilt_proposals() -> None:
    names = [name for name, _box in picture_proposals(PICTURE)]
    assert not any(name.startswith("part-untilt") for name in names)


@pytest.mark.parametrize("size", [(20, 20), (100, 2000), (2000, 100), (1, 1)])
def test_untilt_boxes_of_odd_canvases_stay_inside(size: tuple[int, int]) -> None:
    for _name, (left, top, right, bottom) in untilt_boxes(size):
        assert 0 <= left < right <= size[0]
        assert 0 <= top < bottom <= size[1]


@pytest.mark.parametrize(
    "picture",
    [
        Image.new("RGB", (300, 200), "white"),
        Image.new("RGB", (10, 900), "black"),
        Image.new("RGB", (2, 2), "red"),
        Image.new("RGB", (900, 17), "blue"),
    ],
    ids=["blank", "thin", "tiny", "flat strip"],
)
def test_degenerate_pictures_give_no_proposals_and_no_errors(picture: Image.Image) -> None:
    assert picture_proposals(picture) == []


def test_proposals_never_leave_the_picture_or_shrink_below_a_quarter() -> None:
    rng = random.Random(9)
    for seed in range(12):
        canvas = Image.new("RGB", (rng.randrange(60, 700), rng.randrange(60, 700)), "white")
        draw = ImageDraw.Draw(canvas)
        for _ in range(rng.randrange(1, 8)):
            x, y = rng.randrange(canvas.width), rng.randrange(canvas.height)
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            draw.rectangle((x, y, x + rng.randrange(200), y + rng.randrange(200)), fill=colour)
        for name, (left, top, right, bottom) in picture_proposals(canvas):
            assert 0 <= left < right <= canvas.width, (seed, name)
            assert 0 <= top < bottom <= canvas.height, (seed, name)
            # What is left after cutting bands needs a quarter of the shorter side only.
            short = min(canvas.size) if name in ("part-bands", "part-rows") else None
            assert right - left >= (short or canvas.width) / 4 - 1, (seed, name)
            assert bottom - top >= (short or canvas.height) / 4 - 1, (seed, name)


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    """The picture (item 0) and two of the pictures composites put beside it (items 1, 2)."""
    return MatchIndex(
        (
            IndexEntry("client", number, h)
            for number, picture in enumerate([PICTURE, *OTHERS[1:]])
            for h in fingerprint_enrolled(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
        ),
        settings=MatchSettings(),
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: compositions.meme_caption(PICTURE, random.Random(5)),
        lambda: compositions.phone_screenshot(PICTURE, random.Random(6)),
        lambda: compositions.collage(PICTURE, random.Random(7), OTHERS),
        lambda: compositions.inside_other(PICTURE, random.Random(8), OTHERS[:1]),
        lambda: PICTURE.rotate(-5, Image.Resampling.BICUBIC, expand=True, fillcolor="white"),
        lambda: PICTURE.rotate(10, Image.Resampling.BICUBIC, expand=True, fillcolor="black"),
    ],
    ids=[
        "meme",
        "screenshot",
        "collage",
        "inside another",
        "tilted 5 on white",
        "tilted 10 on black",
    ],
)
def test_composites_match_the_enrolled_picture_and_not_the_others(
    make: object, index: MatchIndex
) -> None:
    assert callable(make)
    composite = encode(make(), "JPEG", quality=85)
    found = index.match(fingerprint_candidate(composite, max_pixels=MAX_PIXELS))
    assert [match.item_id for match in found][:1] == [0]


def test_channel_helpers_agree_with_numpy_reductions() -> None:
    # They replace numpy's all/any/max over the trailing channel axis, which is several times
    # slower; any difference would move proposals.
    values = np.random.default_rng(5).integers(-40, 40, size=(37, 23, 3), dtype=np.int16)
    mask = values > 0
    assert np.array_equal(_every_channel(mask), mask.all(axis=-1))
    assert np.array_equal(_any_channel(mask), mask.any(axis=-1))
    assert np.array_equal(_largest_channel(values), values.max(axis=-1))
