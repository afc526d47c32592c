from __future__ import annotations

import pytest
from PIL import Image

from monitor.fingerprint.regions import (
    HALF_VARIANTS,
    REGION_VARIANTS,
    TILT_VARIANTS,
    WINDOW_VARIANTS,
    half_boxes,
    tilted_versions,
    window_boxes,
)
from tests.fingerprint.conftest import drawn_picture


@pytest.mark.parametrize("size", [(512, 384), (384, 512), (300, 300), (512, 100)])
def test_every_window_is_at_least_half_by_half(size: tuple[int, int]) -> None:
    width, height = size
    boxes = window_boxes(size)
    assert [name for name, _box in boxes] == list(WINDOW_VARIANTS)
    for name, (left, top, right, bottom) in boxes:
        assert 0 <= left < right <= width, name
        assert 0 <= top < bottom <= height, name
        # The rule: no stored region smaller than half the width and half the height.
        assert right - left >= width / 2, name
        assert bottom - top >= height / 2, name


def test_windows_are_where_their_names_say() -> None:
    boxes = dict(window_boxes((1000, 800)))
    assert boxes["win90-c"] == (50, 40, 950, 760)
    assert boxes["win80-tl"] == (0, 0, 800, 640)
    assert boxes["win80-br"] == (200, 160, 1000, 800)
    assert boxes["cols70-l"] == (0, 0, 700, 800)
    assert boxes["rows60-b"] == (0, 320, 1000, 800)


@pytest.mark.parametrize("size", [(256, 192), (191, 256), (256, 256), (255, 33)])
def test_halves_are_exactly_half_a_side(size: tuple[int, int]) -> None:
    width, height = size
    halves = dict(half_boxes(size))
    assert list(halves) == list(HALF_VARIANTS) == ["half-l", "half-r", "half-t", "half-b"]
    half_width, half_height = (width + 1) // 2, (height + 1) // 2
    assert halves["half-l"] == (0, 0, half_width, height)
    assert halves["half-r"] == (width - half_width, 0, width, height)
    assert halves["half-t"] == (0, 0, width, half_height)
    assert halves["half-b"] == (0, height - half_height, width, height)
    for left, top, right, bottom in halves.values():
        # The smallest region the issue allows: half the width and half the height.
        assert right - left >= width / 2
        assert bottom - top >= height / 2


def test_tiny_pictures_get_no_halves() -> None:
    assert half_boxes((20, 300)) == []


def test_tilts_keep_only_the_inner_rectangle() -> None:
    picture = drawn_picture(1, size=(400, 300))
    versions = dict(tilted_versions(picture))
    assert list(versions) == list(TILT_VARIANTS)
    assert list(versions) == ["tilt-10-inner", "tilt-5-inner", "tilt+5-inner", "tilt+10-inner"]
    # No filled canvas: its corner triangles are alike in every tilted picture.
    for version in versions.values():
        assert version.getpixel((0, 0)) not in ((255, 255, 255), (0, 0, 0))
    inner = versions["tilt+10-inner"]
    assert inner.width < picture.width
    assert inner.height < picture.height
    assert inner.width >= picture.width / 2
    assert inner.height >= picture.height / 2
    assert abs(inner.width / inner.height - 4 / 3) < 0.05


def test_tiny_pictures_get_no_regions() -> None:
    tiny = Image.new("RGB", (40, 300), "red")
    assert window_boxes(tiny.size) == []
    assert tilted_versions(tiny) == []


def test_region_names_fit_the_store() -> None:
    assert len(set(REGION_VARIANTS)) == len(REGION_VARIANTS)
    assert max(len(name) for name in REGION_VARIANTS) <= 32
