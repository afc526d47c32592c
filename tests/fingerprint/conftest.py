"""Pictures drawn for the fingerprint tests, and the photos folder when it is there."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

PHOTOS = Path("/work/photos")
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "pdq"
if not REFERENCE.is_dir():
    REFERENCE = Path("/work/shared/reference/pdq")

MAX_PIXELS = 80_000_000


def drawn_picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A picture with real structure: a noisy gradient, random shapes and a line of text."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    width, height = size
    corners = noise.uniform(0, 255, size=(2, 2, 3))
    ys = np.linspace(0, 1, height)[:, None, None]
    xs = np.linspace(0, 1, width)[None, :, None]
    top = corners[0, 0] * (1 - xs) + corners[0, 1] * xs
    bottom = corners[1, 0] * (1 - xs) + corners[1, 1] * xs
    background = top * (1 - ys) + bottom * ys + noise.normal(0, 6, size=(height, width, 3))
    picture = Image.fromarray(background.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for _ in range(14):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1 = x0 + rng.randrange(width // 20 + 1, width // 2 + 2)
        y1 = y0 + rng.randrange(height // 20 + 1, height // 2 + 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice(("ellipse", "rectangle", "polygon"))
        if shape == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == "rectangle":
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            draw.polygon(
                [(x0, y0), (x1, y0 + rng.randrange(height // 10 + 1)), (x0, y1)], fill=colour
            )
    draw.text((width // 10, height // 2), f"sample {seed}", fill=(255, 255, 255))
    return picture


def encode(picture: Image.Image, image_format: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, image_format, **options)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def photo_paths() -> list[Path]:
    if not PHOTOS.is_dir():
        pytest.skip(f"{PHOTOS} is missing; run /work/shared/bench/get-photos {PHOTOS}")
    paths = sorted(p for p in PHOTOS.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    if len(paths) < 10:
        pytest.skip(f"{PHOTOS} has fewer than 10 photos")
    return paths


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE / "expected.csv").is_file():
        pytest.skip(f"PDQ reference vectors not found at {REFERENCE}")
    return REFERENCE
