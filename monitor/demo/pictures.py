"""Pictures drawn from a seed, and the alterations re-uploaders make to them."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw, ImageEnhance, ImageOps

Alteration = Callable[[Image.Image], Image.Image]


def draw_picture(seed: int, *, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """An abstract picture with enough structure for perceptual hashes: gradient, shapes, lines."""
    rng = random.Random(seed)
    width, height = size
    top = tuple(rng.randrange(256) for _ in range(3))
    bottom = tuple(rng.randrange(256) for _ in range(3))
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / max(1, height - 1)
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a * (1 - mix) + b * mix) for a, b in zip(top, bottom, strict=True)),
        )
    for _ in range(rng.randrange(8, 16)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1 = x0 + rng.randrange(width // 8, width // 2)
        y1 = y0 + rng.randrange(height // 8, height // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice(("ellipse", "rectangle", "polygon"))
        if shape == "ellipse":
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        elif shape == "rectangle":
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        else:
            points = [
                (rng.randrange(width), rng.randrange(height)) for _ in range(rng.randrange(3, 6))
            ]
            draw.polygon(points, fill=colour)
    for _ in range(rng.randrange(3, 8)):
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.line(
            [(rng.randrange(width), rng.randrange(height)) for _ in range(2)],
            fill=colour,
            width=rng.randrange(2, 10),
        )
    return image


def encode(image: Image.Image, *, fmt: str = "JPEG", quality: int = 90) -> bytes:
    """Bytes in memory; nothing is written to disk."""
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    else:
        image.save(buffer, format=fmt)
    return buffer.getvalue()


def _border(image: Image.Image) -> Image.Image:
    return ImageOps.expand(image, border=image.width // 12, fill=(250, 250, 250))


def _letterbox(image: Image.Image) -> Image.Image:
    canvas = Image.new("RGB", (image.width, int(image.height * 1.4)), (0, 0, 0))
    canvas.paste(image, (0, (canvas.height - image.height) // 2))
    return canvas


ALTERATIONS: dict[str, Alteration] = {
    "reencoded": lambda image: Image.open(io.BytesIO(encode(image, quality=35))).convert("RGB"),
    "resized": lambda image: image.resize((image.width // 2, image.height // 2)),
    "greyscale": lambda image: ImageOps.grayscale(image).convert("RGB"),
    "brighter": lambda image: ImageEnhance.Brightness(image).enhance(1.25),
    "mirrored": ImageOps.mirror,
    "rotated": lambda image: image.rotate(90, expand=True),
    "bordered": _border,
    "letterboxed": _letterbox,
}
"""The alterations the fingerprints must survive (see the end-to-end tests)."""
