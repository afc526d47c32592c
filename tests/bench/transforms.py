"""The re-uploads the accuracy benchmark makes of a photo, as people really alter images.

Every transform takes the picture, a seeded `random.Random` and a few unrelated pictures (only
the collage and the picture-in-picture use them) and returns the altered picture; the benchmark
then encodes it the way the transform says (most re-uploads end as JPEG quality 75-90).
Strengths are drawn from the rng within realistic ranges, so a seed fixes every output.

Definitions where the issue leaves room: "crop N%" cuts N% of the width AND N% of the height away
(centred: evenly from both sides; off-centre: all of it from one corner's two sides); "stretch
10%" scales one axis (chosen at random) by 1.1; "rotate 5/10" tilts by that many degrees either
way with the canvas grown to hold the whole picture on a plain background.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from tests.bench import compositions

Change = Callable[[Image.Image, random.Random, Sequence[Image.Image]], Image.Image]


@dataclass(frozen=True)
class Transform:
    """One kind of re-upload: how to change the picture and how the result is encoded."""

    name: str
    hard: bool
    change: Change
    image_format: str = "JPEG"
    quality: tuple[int, int] = (75, 90)
    # How many unrelated pictures it puts beside the picture (collage, picture-in-picture).
    uses_others: int = 0

    def apply(
        self, picture: Image.Image, rng: random.Random, others: Sequence[Image.Image] = ()
    ) -> bytes:
        """The re-upload's file bytes (in memory)."""
        changed = self.change(picture, rng, others[: self.uses_others])
        return encode(changed, self.image_format, rng.randint(*self.quality))


def full_resolution(data: bytes) -> Image.Image:
    """The photo as a person sees it: oriented, transparency on white, full size."""
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)
    if image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image.convert("RGB")


def encode(image: Image.Image, image_format: str = "JPEG", quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, quality=quality)
    return buffer.getvalue()


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    return encode(image, "JPEG", quality)


def random_colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def add_border(
    image: Image.Image, rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """A frame of a random colour, 10% of the picture's size on each side."""
    colour = random_colour(rng)
    pad_x, pad_y = image.width // 10, image.height // 10
    framed = Image.new("RGB", (image.width + 2 * pad_x, image.height + 2 * pad_y), colour)
    framed.paste(image, (pad_x, pad_y))
    return framed


def letterbox(
    image: Image.Image, _rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """Black bars to a 16:9 frame (9:16 for a wide image), scaled to 1280 on the long side."""
    return _bars_to_aspect(image, "black", 16 / 9)


def letterbox_any_colour(
    image: Image.Image, rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """Bars of a random colour to a random frame shape (16:9, 1:1, 4:5), 1280 on the long side."""
    return _bars_to_aspect(image, random_colour(rng), rng.choice((16 / 9, 1.0, 4 / 5)))


def _bars_to_aspect(
    image: Image.Image, colour: str | tuple[int, int, int], aspect: float
) -> Image.Image:
    width, height = image.size
    if width / height < aspect:
        frame = (max(width, round(height * aspect)), height)
    else:
        frame = (width, max(height, round(width / aspect), round(width * aspect)))
    canvas = Image.new("RGB", frame, colour)
    canvas.paste(image, ((frame[0] - width) // 2, (frame[1] - height) // 2))
    canvas.thumbnail((1280, 1280), Image.Resampling.LANCZOS)
    return canvas


def border_any_width(
    image: Image.Image, rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """A frame of a random colour, 3-15% of the picture's size, thicker on some sides."""
    colour = random_colour(rng)
    pads = [round(side * rng.uniform(0.03, 0.15)) for side in (*image.size, *image.size)]
    framed = Image.new("RGB", (image.width + pads[0] + pads[2], image.height + pads[1] + pads[3]))
    framed.paste(colour, (0, 0, *framed.size))
    framed.paste(image, (pads[0], pads[1]))
    return framed


def _resize(image: Image.Image, rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
    factor = rng.uniform(0.25, 0.5)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _enhance(kind: Callable[[Image.Image], ImageEnhance._Enhance], factor: float) -> Change:
    return lambda image, _rng, _others: kind(image).enhance(factor)


def _saturation(image: Image.Image, rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
    factor = rng.choice((rng.uniform(0.3, 0.6), rng.uniform(1.5, 2.0)))
    return ImageEnhance.Color(image).enhance(factor)


def _sepia(image: Image.Image, _rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
    rgb = np.asarray(image, dtype=np.float32)
    matrix = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]])
    toned = rgb @ matrix.T.astype(np.float32)
    return Image.fromarray(toned.clip(0, 255).astype(np.uint8))


def _blur(image: Image.Image, rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
    radius = rng.uniform(0.8, 1.6) * max(image.size) / 1000
    return image.filter(ImageFilter.GaussianBlur(radius))


def _noise(image: Image.Image, rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
    noise = np.random.default_rng(rng.getrandbits(32))
    rgb = np.asarray(image, dtype=np.float32)
    noisy = rgb + noise.normal(0, rng.uniform(6, 14), size=rgb.shape)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def _transpose(method: Image.Transpose) -> Change:
    return lambda image, _rng, _others: image.transpose(method)


def _crop(share: float, *, centred: bool) -> Change:
    def crop(image: Image.Image, rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
        cut_x, cut_y = round(image.width * share), round(image.height * share)
        if centred:
            left, top = cut_x // 2, cut_y // 2
        else:
            left, top = rng.choice((0, cut_x)), rng.choice((0, cut_y))
        return image.crop((left, top, left + image.width - cut_x, top + image.height - cut_y))

    return crop


def _stretch(image: Image.Image, rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
    if rng.random() < 0.5:
        return image.resize((round(image.width * 1.1), image.height), Image.Resampling.LANCZOS)
    return image.resize((image.width, round(image.height * 1.1)), Image.Resampling.LANCZOS)


def _tilt(degrees: float) -> Change:
    def tilt(image: Image.Image, rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
        angle = degrees * rng.choice((-1, 1))
        background = rng.choice(("white", "black"))
        return image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=background)

    return tilt


def _left_share(image: Image.Image, _rng: random.Random, _o: Sequence[Image.Image]) -> Image.Image:
    return image.crop((0, 0, round(image.width * 0.7), image.height))


_MILD = (
    Transform("jpeg q30-70", False, lambda image, _rng, _others: image, quality=(30, 70)),
    Transform("webp q40-80", False, lambda image, _rng, _others: image, "WEBP", (40, 80)),
    Transform("resize 25-50%", False, _resize),
    Transform("greyscale", False, lambda image, _rng, _others: image.convert("L")),
    Transform("brightness +30%", False, _enhance(ImageEnhance.Brightness, 1.3)),
    Transform("brightness -30%", False, _enhance(ImageEnhance.Brightness, 0.7)),
    Transform("contrast +30%", False, _enhance(ImageEnhance.Contrast, 1.3)),
    Transform("contrast -30%", False, _enhance(ImageEnhance.Contrast, 0.7)),
    Transform("saturation", False, _saturation),
    Transform("sepia", False, _sepia),
    Transform("slight blur", False, _blur),
    Transform("noise", False, _noise),
    Transform("mirror", False, _transpose(Image.Transpose.FLIP_LEFT_RIGHT)),
    Transform("rotate 90", False, _transpose(Image.Transpose.ROTATE_90)),
    Transform("rotate 180", False, _transpose(Image.Transpose.ROTATE_180)),
    Transform("rotate 270", False, _transpose(Image.Transpose.ROTATE_270)),
    Transform("border", False, border_any_width),
    Transform("letterbox", False, letterbox_any_colour),
    Transform("text overlay", False, compositions.text_overlay),
    Transform("corner watermark", False, compositions.corner_watermark),
    Transform("sticker <=10%", False, compositions.sticker),
)

_HARD = (
    Transform("crop 10% centred", True, _crop(0.10, centred=True)),
    Transform("crop 20% centred", True, _crop(0.20, centred=True)),
    Transform("crop 10% off-centre", True, _crop(0.10, centred=False)),
    Transform("crop 20% off-centre", True, _crop(0.20, centred=False)),
    Transform("stretch 10%", True, _stretch),
    Transform("rotate 5 deg", True, _tilt(5)),
    Transform("rotate 10 deg", True, _tilt(10)),
    Transform("meme caption bands", True, compositions.meme_caption),
    Transform("phone screenshot", True, compositions.phone_screenshot, quality=(70, 85)),
    Transform("2x2 collage", True, compositions.collage, uses_others=3),
    Transform("half size in other", True, compositions.inside_other, uses_others=1),
    Transform("left 70%", True, _left_share),
)

TRANSFORMS: tuple[Transform, ...] = _MILD + _HARD
OTHERS_NEEDED = max(transform.uses_others for transform in TRANSFORMS)
