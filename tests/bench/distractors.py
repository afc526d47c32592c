"""Unrelated pictures for the benchmarks: pieces of other photos, flat and text images, and the
photo families that must never count as unrelated to each other.

A piece of photo A is unrelated to every photo except A (and A's family); the benchmarks pair
it only with those. Pieces are small (tiles of a 3x3 or 2x2 grid, crops of 20-45% of a side),
so they are nothing like a re-upload of the photo they come from either.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

# Photos in the calibration set that are one picture in different colours (judged by eye): a
# re-upload in other colours is one we want to find, so these pairs are not "unrelated".
SAME_PICTURE = (
    frozenset({"020", "021", "022", "023"}),  # Ubuntu MATE aurora: cold, dark, radioactive, warm
    frozenset({"017", "018"}),  # MATE stripes, dark and light
)


def same_picture(name_a: str, name_b: str) -> bool:
    return any({name_a[:3], name_b[:3]} <= family for family in SAME_PICTURE)


def family_of(names: list[str]) -> list[int]:
    """For each photo, the index of the first photo of its family (itself when alone)."""
    return [
        next(other for other in range(len(names)) if same_picture(names[other], name) or other == n)
        for n, name in enumerate(names)
    ]


def tiles_and_crops(image: Image.Image, rng: random.Random) -> list[Image.Image]:
    """Crops and tiles of a photo: related to it, but not re-uploads of it."""
    width, height = image.size
    tiles = [
        image.crop((x * width // 2, y * height // 2, (x + 1) * width // 2, (y + 1) * height // 2))
        for x in (0, 1)
        for y in (0, 1)
    ]
    centre = image.crop((width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    left = rng.randrange(width // 3)
    strip = image.crop((left, 0, left + width // 2, height))
    return [*tiles, centre, strip]


def grid_tiles(image: Image.Image, *, per_side: int) -> list[Image.Image]:
    """The photo cut into per_side x per_side tiles."""
    width, height = image.size
    return [
        image.crop(
            (
                column * width // per_side,
                row * height // per_side,
                (column + 1) * width // per_side,
                (row + 1) * height // per_side,
            )
        )
        for row in range(per_side)
        for column in range(per_side)
    ]


def random_crops(image: Image.Image, rng: random.Random, *, count: int) -> list[Image.Image]:
    """Windows of 20-45% of each side, anywhere in the photo."""
    return [_window(image, rng, low=0.20, high=0.45) for _ in range(count)]


def decoy_regions(image: Image.Image, rng: random.Random, *, count: int) -> list[Image.Image]:
    """Windows of 50-80% of each side: other enrolled pictures that look like this photo's
    neighbours (the same scene, another framing), scaled to at most 1024 pixels."""
    regions = []
    for _ in range(count):
        region = _window(image, rng, low=0.50, high=0.80)
        region.thumbnail((1024, 1024), Image.Resampling.LANCZOS)
        regions.append(region)
    return regions


def _window(image: Image.Image, rng: random.Random, *, low: float, high: float) -> Image.Image:
    width = max(1, round(image.width * rng.uniform(low, high)))
    height = max(1, round(image.height * rng.uniform(low, high)))
    left = rng.randint(0, image.width - width)
    top = rng.randint(0, image.height - height)
    return image.crop((left, top, left + width, top + height))


def synthetic_distractors() -> list[Image.Image]:
    """Images web pages are full of: flat fills, gradients, a line of text on white."""
    images = [Image.new("RGB", (640, 480), colour) for colour in ("white", "black", "#336699")]
    gradient = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    images += [gradient, gradient.rotate(90, expand=True)]
    text = Image.new("RGB", (640, 200), "white")
    ImageDraw.Draw(text).text((20, 80), "Sign in to continue", fill="black")
    images.append(text)
    return images
