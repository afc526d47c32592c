"""Bytes -> an RGB picture ready to hash, refusing anything hostile before it costs memory.

Pixels are checked from the header before the data is decoded, big JPEGs decode at a reduced
scale (draft mode), and every way Pillow can fail on garbage becomes one `ImageDecodeError`.
Only raster formats are allowed: formats that run external programs (EPS) or draw vectors never
reach a decoder.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

import numpy as np
from PIL import Image, UnidentifiedImageError

from monitor.errors import ImageDecodeError, ImageTooLargeError
from monitor.fingerprint.trim import trim_borders

__all__ = ["WORKING_MIN_SIDE", "decode_image", "trim_borders"]

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a dependency, but HEIC is optional
    pass

# Big images come back reduced (JPEG draft mode at 1/2, 1/4 or 1/8 scale; others by a whole-
# number box reduction) while the short side stays at least this big: hashing reduces to 64x64
# (PDQ) or 32x32 (pHash) anyway, and the full size would only cost time and memory.
WORKING_MIN_SIDE = 512

_ORIENTATION_TAG = 0x0112
_ORIENTATION_FIXES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_ALLOWED_FORMATS = ("JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF", "HEIF")
# Everything Pillow's decoders (and libavif/libheif behind them) raise on hostile data.
_DECODER_FAILURES = (
    OSError,
    RuntimeError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    IndexError,
    TypeError,
    KeyError,
    MemoryError,
)


def _allowed_formats() -> list[str]:
    Image.init()
    return [name for name in _ALLOWED_FORMATS if name in Image.OPEN]


def decode_image(data: bytes, *, max_pixels: int) -> Image.Image:
    """Decode `data` to an RGB image: EXIF orientation applied, first frame of an animation.

    A big image comes back reduced, its short side still at least `WORKING_MIN_SIDE` pixels.

    Raises `ImageTooLargeError` when the header declares more than `max_pixels` pixels (checked
    before any pixel data is decoded) and `ImageDecodeError` for anything that is not a readable
    raster image.
    """
    if not data:
        raise ImageDecodeError("the image is empty (zero bytes); nothing to fingerprint")
    image = _open_header(data, max_pixels=max_pixels)
    width, height = image.size
    if width <= 0 or height <= 0:
        raise ImageDecodeError(f"the image header declares a size of {width}x{height} pixels")
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"the image header declares {width}x{height} = {width * height:,} pixels, more than "
            f"fetch.max_pixels = {max_pixels:,}; raise that limit only if you trust the source"
        )
    try:
        if image.format in ("JPEG", "MPO"):
            image.draft(None, (WORKING_MIN_SIDE, WORKING_MIN_SIDE))
        image.load()
        orientation = _exif_orientation(image)
        flat = _reduce(_to_standard_mode(image))
        rgb = _flatten_alpha(flat)
        method = _ORIENTATION_FIXES.get(orientation)
        return rgb.transpose(method) if method is not None else rgb
    except Image.DecompressionBombError as error:
        raise ImageTooLargeError(f"the image is a decompression bomb: {error}") from error
    except _DECODER_FAILURES as error:
        raise ImageDecodeError(
            f"the {image.format or 'image'} data cannot be decoded ({_describe(error)}); "
            "it is truncated or corrupt"
        ) from error


def _open_header(data: bytes, *, max_pixels: int) -> Image.Image:
    # catch_warnings touches process-wide filters; at worst a concurrent decode prints the
    # warning instead of raising it, and the explicit max_pixels check still applies.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=_allowed_formats())
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise ImageTooLargeError(
                f"the image declares too many pixels ({error}); fetch.max_pixels is {max_pixels:,}"
            ) from error
        except UnidentifiedImageError as error:
            raise ImageDecodeError(
                f"the data is not an image in a supported format ({_sniff(data)}); supported: "
                f"{', '.join(_allowed_formats())}"
            ) from error
        except _DECODER_FAILURES as error:
            raise ImageDecodeError(
                f"the image header is unreadable ({_describe(error)}); the file is corrupt"
            ) from error


def _exif_orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except _DECODER_FAILURES:
        return 1  # unreadable EXIF is no reason to refuse the pixels
    return value if isinstance(value, int) else 1


def _to_standard_mode(image: Image.Image) -> Image.Image:
    """Bring any mode to L, LA, RGB or RGBA (the modes `reduce` and compositing handle)."""
    if image.mode in ("L", "LA", "RGB", "RGBA"):
        if "transparency" in image.info and image.mode in ("L", "RGB"):
            return image.convert("RGBA")
        return image
    if image.mode.startswith("I"):
        # 16-bit (or 32-bit integer) greyscale: keep the top 8 bits of a 16-bit range.
        wide = np.asarray(image).astype(np.int64)
        shift = 8 if int(wide.max(initial=0)) > 255 else 0
        return Image.fromarray((wide >> shift).clip(0, 255).astype(np.uint8))
    has_alpha = "A" in image.mode or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _reduce(image: Image.Image) -> Image.Image:
    """Box-reduce by a whole factor while the short side stays at least WORKING_MIN_SIDE."""
    factor = min(image.size) // WORKING_MIN_SIDE
    return image.reduce(factor) if factor >= 2 else image


def _flatten_alpha(image: Image.Image) -> Image.Image:
    """RGB with transparent pixels shown on white, as a web page shows them."""
    if image.mode in ("RGBA", "LA"):
        with_alpha = image.convert("RGBA")
        background = Image.new("RGBA", with_alpha.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, with_alpha).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _sniff(data: bytes) -> str:
    head = data[:256].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "it looks like an HTML page"
    if head.startswith(b"<?xml") or b"<svg" in head:
        return "it looks like SVG or other XML; vector images are not fingerprinted"
    return f"{len(data):,} bytes starting {data[:8].hex(' ')}"
