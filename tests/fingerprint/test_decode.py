from __future__ import annotations

import contextlib
import os
import random
import struct
import time
import tracemalloc
import zlib

import numpy as np
import pytest
from PIL import Image

from monitor.errors import ImageDecodeError, ImageError, ImageTooLargeError
from monitor.fingerprint.decode import WORKING_MIN_SIDE, decode_image, trim_borders
from monitor.fingerprint.trim import border_box, outer_bars_box
from tests.fingerprint.conftest import MAX_PIXELS, drawn_picture, encode


def _mean_difference(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)).mean())


@pytest.mark.parametrize(
    ("image_format", "options"),
    [("JPEG", {"quality": 92}), ("PNG", {}), ("WEBP", {"quality": 92}), ("BMP", {})],
)
def test_common_formats_decode_to_rgb(image_format: str, options: dict[str, object]) -> None:
    picture = drawn_picture(1)
    decoded = decode_image(encode(picture, image_format, **options), max_pixels=MAX_PIXELS)
    assert decoded.mode == "RGB"
    assert decoded.size == picture.size
    assert _mean_difference(decoded, picture) < 8


def test_gif_decodes_its_first_frame() -> None:
    first, second = drawn_picture(2, size=(240, 180)), drawn_picture(3, size=(240, 180))
    data = encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    decoded = decode_image(data, max_pixels=MAX_PIXELS)
    assert decoded.mode == "RGB"
    assert _mean_difference(decoded, first) < _mean_difference(decoded, second) / 3


def test_animated_webp_decodes_its_first_frame() -> None:
    first, second = drawn_picture(4), drawn_picture(5)
    data = encode(first, "WEBP", save_all=True, append_images=[second], lossless=True)
    decoded = decode_image(data, max_pixels=MAX_PIXELS)
    assert _mean_difference(decoded, first) < 2


def test_exif_orientation_is_applied() -> None:
    picture = Image.new("RGB", (200, 100), "blue")
    picture.paste((255, 0, 0), (0, 0, 100, 100))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: show it rotated 90 degrees clockwise
    decoded = decode_image(encode(picture, "JPEG", exif=exif), max_pixels=MAX_PIXELS)
    assert decoded.size == (100, 200)
    top_r, _, top_b = decoded.getpixel((50, 20))  # type: ignore[misc]
    assert top_r > 200  # the red half is now on top
    assert top_b < 60


def test_transparency_is_shown_on_white() -> None:
    picture = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    picture.paste((0, 0, 0, 255), (0, 0, 32, 64))
    decoded = decode_image(encode(picture, "PNG"), max_pixels=MAX_PIXELS)
    assert decoded.getpixel((10, 10)) == (0, 0, 0)
    assert decoded.getpixel((50, 10)) == (255, 255, 255)


def test_sixteen_bit_greyscale_keeps_its_contrast() -> None:
    ramp = (np.arange(256 * 64, dtype=np.uint16).reshape(64, 256) % 256) * 257
    data = encode(Image.fromarray(ramp), "PNG")
    decoded = np.asarray(decode_image(data, max_pixels=MAX_PIXELS))
    assert decoded[..., 0].min() == 0
    assert decoded[..., 0].max() == 255


def test_big_images_come_back_reduced_but_not_below_the_working_size() -> None:
    big = drawn_picture(6, size=(2200, 1400))
    for image_format in ("JPEG", "PNG"):
        decoded = decode_image(encode(big, image_format), max_pixels=MAX_PIXELS)
        assert min(decoded.size) >= WORKING_MIN_SIDE
        assert decoded.size == (1100, 700)


def test_heic_decodes_when_pillow_heif_can_write_it() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    picture = drawn_picture(7)
    try:
        data = encode(picture, "HEIF", quality=90)
    except (KeyError, OSError, ValueError) as error:
        pytest.skip(f"no HEIF encoder here: {error}")
    assert pillow_heif is not None
    decoded = decode_image(data, max_pixels=MAX_PIXELS)
    assert decoded.size == picture.size


# Hostile input -----------------------------------------------------------------------------


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def _png_header(width: int, height: int) -> bytes:
    """A PNG that declares width x height but holds only a few bytes of pixel data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to claim width x height."""
    data = bytearray(encode(drawn_picture(8, size=(64, 48)), "JPEG"))
    marker = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, marker + 5, height, width)
    return bytes(data)


@pytest.mark.parametrize(
    "data",
    [_png_header(100_000, 100_000), _jpeg_claiming(60_000, 60_000), _png_header(12_000, 9_000)],
    ids=["png-100000x100000", "jpeg-60000x60000", "png-12000x9000"],
)
def test_huge_declared_size_is_refused_from_the_header(data: bytes) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ImageTooLargeError, match="pixels"):
            decode_image(data, max_pixels=MAX_PIXELS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < 5_000_000


def test_pixel_cap_applies_to_real_images_too() -> None:
    data = encode(drawn_picture(9, size=(1000, 1000)), "PNG")
    with pytest.raises(ImageTooLargeError, match=r"max_pixels = 999,999"):
        decode_image(data, max_pixels=999_999)
    assert decode_image(data, max_pixels=1_000_000).size == (1000, 1000)


def test_pillows_bomb_warning_becomes_too_large() -> None:
    # 100M pixels passes our cap of 200M but trips Pillow's own warning (~89M).
    with pytest.raises(ImageTooLargeError):
        decode_image(_png_header(10_000, 10_000), max_pixels=200_000_000)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (os.urandom(4096), "not an image"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "HTML"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", "not an image"),
        (encode(drawn_picture(10), "JPEG")[:2000], "truncated or corrupt"),
        (encode(drawn_picture(11), "PNG")[:3000], "truncated or corrupt"),
        (_png_header(640, 480), "truncated or corrupt"),
        (_png_header(0, 0), "ImageDecodeError"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "ImageDecodeError"),
        (b"GIF89a" + b"\xff" * 20, "ImageDecodeError"),
    ],
    ids=[
        "empty",
        "random",
        "html",
        "svg",
        "eps",
        "truncated-jpeg",
        "truncated-png",
        "png-header-only",
        "png-zero-size",
        "png-garbage-chunks",
        "gif-garbage",
    ],
)
def test_garbage_raises_decode_error_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageDecodeError) as caught:
        decode_image(data, max_pixels=MAX_PIXELS)
    if reason != "ImageDecodeError":
        assert reason in str(caught.value)


def test_garbage_after_a_valid_header_fails_alone() -> None:
    good = encode(drawn_picture(12), "JPEG")
    corrupted = bytearray(good)
    corrupted[len(good) // 2 : len(good) // 2 + 500] = os.urandom(500)
    try:
        decoded = decode_image(bytes(corrupted), max_pixels=MAX_PIXELS)
    except ImageDecodeError:
        return  # refused: fine
    assert decoded.size == (640, 480)  # or decoded with damage: also fine


# Trimming ---------------------------------------------------------------------------------


def _framed(
    picture: Image.Image, *, pad: tuple[int, int, int, int], colour: tuple[int, int, int]
) -> Image.Image:
    left, top, right, bottom = pad
    canvas = Image.new("RGB", (picture.width + left + right, picture.height + top + bottom), colour)
    canvas.paste(picture, (left, top))
    return canvas


def test_trim_removes_a_coloured_border_even_after_jpeg() -> None:
    picture = drawn_picture(13)
    framed = _framed(picture, pad=(64, 48, 64, 48), colour=(200, 30, 120))
    decoded = decode_image(encode(framed, "JPEG", quality=50), max_pixels=MAX_PIXELS)
    trimmed = trim_borders(decoded)
    assert abs(trimmed.width - picture.width) <= 4
    assert abs(trimmed.height - picture.height) <= 4


def test_trim_removes_letterbox_bars_of_different_colours() -> None:
    picture = drawn_picture(14)
    framed = _framed(picture, pad=(0, 100, 0, 0), colour=(0, 0, 0))
    framed = _framed(framed, pad=(0, 0, 0, 80), colour=(255, 255, 255))
    trimmed = trim_borders(framed)
    assert trimmed.size == picture.size


def test_trim_removes_a_frame_around_letterboxing() -> None:
    picture = drawn_picture(15)
    boxed = _framed(picture, pad=(0, 90, 0, 90), colour=(0, 0, 0))
    framed = _framed(boxed, pad=(40, 40, 40, 40), colour=(250, 250, 250))
    assert trim_borders(framed).size == picture.size


def test_trim_leaves_a_picture_without_borders_alone() -> None:
    picture = drawn_picture(16)
    assert trim_borders(picture) is picture


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (12, 130, 200)])
def test_trim_never_removes_everything(colour: tuple[int, int, int]) -> None:
    flat = Image.new("RGB", (300, 200), colour)
    assert trim_borders(flat).size == (300, 200)


def test_trim_keeps_a_thin_picture_in_a_wide_frame() -> None:
    picture = drawn_picture(17, size=(200, 40))
    framed = _framed(picture, pad=(300, 300, 300, 300), colour=(0, 0, 0))
    trimmed = trim_borders(framed)
    assert trimmed.size == picture.size


def test_trim_handles_tiny_images() -> None:
    for size in ((1, 1), (2, 3), (5, 1)):
        assert trim_borders(Image.new("RGB", size, "red")).size == size


def test_trim_accepts_greyscale_input() -> None:
    picture = drawn_picture(18).convert("L")
    framed = Image.new("L", (picture.width + 100, picture.height), 0)
    framed.paste(picture, (50, 0))
    trimmed = trim_borders(framed)
    # The bars go; a dark shape at the picture's own edge may go with them.
    assert picture.width - 10 <= trimmed.width <= picture.width
    assert trimmed.height == picture.height


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "GIF", "WEBP", "TIFF", "AVIF", "HEIF"])
def test_mutated_images_decode_or_fail_with_an_image_error(image_format: str) -> None:
    """Random byte flips, cuts and insertions never escape as anything but ImageError."""
    rng = random.Random(image_format)
    try:
        good = encode(drawn_picture(20, size=(96, 64)), image_format)
    except (KeyError, OSError) as error:
        pytest.skip(f"cannot write {image_format} here: {error}")
    for _ in range(60):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            position = rng.randrange(len(data))
            action = rng.random()
            if action < 0.6:
                data[position] = rng.randrange(256)
            elif action < 0.8:
                del data[position : position + rng.randint(1, 40)]
            else:
                data[position:position] = rng.randbytes(rng.randint(1, 16))
        with contextlib.suppress(ImageError):
            decode_image(bytes(data), max_pixels=MAX_PIXELS)


def _logo_on_plain(size: tuple[int, int] = (400, 300)) -> Image.Image:
    """A logo on a plain blue background: a picture whose own edges are flat."""
    picture = Image.new("RGB", size, (20, 60, 170))
    picture.paste(
        drawn_picture(19, size=(size[0] // 3, size[1] // 3)), (size[0] // 2, size[1] // 3)
    )
    return picture


def test_outer_bars_stop_at_a_letterboxed_pictures_own_plain_edges() -> None:
    picture = _logo_on_plain()
    letterboxed = _framed(picture, pad=(0, 80, 0, 80), colour=(220, 120, 140))
    assert outer_bars_box(letterboxed) == (0, 80, 400, 380)
    # Trimming goes on into the blue: the box that matched enrolment is the outer one.
    assert border_box(letterboxed) != (0, 80, 400, 380)


def test_outer_bars_take_a_frame_of_one_colour_on_every_side() -> None:
    picture = drawn_picture(20)
    framed = _framed(picture, pad=(30, 20, 40, 10), colour=(250, 250, 250))
    assert outer_bars_box(framed) == (30, 20, 30 + picture.width, 20 + picture.height)


@pytest.mark.parametrize(
    "image",
    [drawn_picture(21), Image.new("RGB", (300, 200), (9, 9, 9)), Image.new("RGB", (1, 1), "red")],
    ids=["no bars", "one colour", "one pixel"],
)
def test_outer_bars_leave_pictures_without_bars_and_flat_ones_whole(image: Image.Image) -> None:
    assert outer_bars_box(image) == (0, 0, *image.size)
