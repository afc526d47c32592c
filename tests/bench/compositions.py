"""Re-uploads that draw on the picture or put it in a bigger one: text, logos, stickers, meme
captions, phone screenshots, collages and picture-in-picture.

Text is drawn with Pillow's own default font (`ImageFont.load_default(size=...)`), so nothing is
downloaded. Every function has the `Change` signature of `tests.bench.transforms`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont, ImageOps

CAPTIONS = (
    "when the coffee finally kicks in",
    "nobody:  me at 3am",
    "this is fine",
    "weekend plans be like",
    "tag someone who needs this",
    "monday again??",
    "me explaining my hobby",
)
HANDLES = ("@daily.pics", "@memezone", "@viral_now", "@best.of.web", "@lol_hub")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def text_overlay(
    image: Image.Image, rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """A line of white text with a dark outline somewhere on the picture, 5-8% of its height."""
    out = image.copy()
    size = round(out.height * rng.uniform(0.05, 0.08))
    stroke = max(1, size // 12)
    text = rng.choice(CAPTIONS)
    draw = ImageDraw.Draw(out)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font(size), stroke_width=stroke)
    x = rng.randint(0, max(0, out.width - round(right - left)))
    y = rng.randint(0, max(0, out.height - round(bottom - top)))
    draw.text((x, y), text, font=font(size), fill="white", stroke_width=stroke, stroke_fill=0)
    return out


def corner_watermark(
    image: Image.Image, rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """A half-transparent logo (a badge and a handle) in a random corner, ~15-25% of the width."""
    width = max(24, round(image.width * rng.uniform(0.15, 0.25)))
    height = max(10, width // 4)
    logo = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    draw.rounded_rectangle((0, 0, height - 1, height - 1), radius=height // 4, fill=(*colour, 255))
    draw.text((height // 4, height // 6), "W", font=font(height * 2 // 3), fill="white")
    handle = rng.choice(HANDLES)
    draw.text((height + height // 5, height // 5), handle, font=font(height // 2), fill="white")
    opacity = rng.uniform(0.5, 0.85)
    alpha = logo.getchannel("A").point(lambda value: round(value * opacity))
    logo.putalpha(alpha)
    margin = max(2, image.width // 40)
    x = margin if rng.random() < 0.5 else image.width - width - margin
    y = margin if rng.random() < 0.5 else image.height - height - margin
    out = image.convert("RGBA")
    out.alpha_composite(logo, (max(0, x), max(0, y)))
    return out.convert("RGB")


def sticker(
    image: Image.Image, rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """An emoji-like smiley face covering 4-10% of the picture, anywhere on it."""
    share = rng.uniform(0.04, 0.10)
    # A circle of diameter d covers pi/4 * d^2.
    diameter = max(8, round((share * image.width * image.height * 4 / 3.14159) ** 0.5))
    diameter = min(diameter, image.width, image.height)
    out = image.copy()
    draw = ImageDraw.Draw(out)
    x = rng.randint(0, image.width - diameter)
    y = rng.randint(0, image.height - diameter)
    draw.ellipse((x, y, x + diameter, y + diameter), fill=(255, 204, 51), outline=(200, 120, 0))
    eye = diameter // 10
    for eye_x in (x + diameter * 0.33, x + diameter * 0.67):
        centre_y = y + diameter * 0.38
        draw.ellipse((eye_x - eye, centre_y - eye * 1.4, eye_x + eye, centre_y + eye * 1.4), 0)
    mouth = (x + diameter * 0.25, y + diameter * 0.45, x + diameter * 0.75, y + diameter * 0.8)
    draw.arc(mouth, 20, 160, fill=(90, 40, 0), width=max(1, diameter // 20))
    return out


def meme_caption(
    image: Image.Image, rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """White bands above and below (each 12-20% of the height) with black caption text."""
    bands = [round(image.height * rng.uniform(0.12, 0.20)) for _ in range(2)]
    canvas = Image.new("RGB", (image.width, image.height + sum(bands)), "white")
    canvas.paste(image, (0, bands[0]))
    draw = ImageDraw.Draw(canvas)
    for top, band in ((0, bands[0]), (bands[0] + image.height, bands[1])):
        _centred_text(draw, rng.choice(CAPTIONS), box=(0, top, image.width, top + band))
    return canvas


def _centred_text(draw: ImageDraw.ImageDraw, text: str, *, box: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = box
    size = round((bottom - top) * 0.45)
    while size > 8:
        width = draw.textlength(text, font=font(size))
        if width <= (right - left) * 0.92:
            break
        size -= max(1, size // 10)
    x = left + (right - left - draw.textlength(text, font=font(size))) / 2
    draw.text((x, top + (bottom - top - size) / 2), text, font=font(size), fill="black")


SCREEN = (1080, 2340)


def phone_screenshot(
    image: Image.Image, rng: random.Random, _others: Sequence[Image.Image] = ()
) -> Image.Image:
    """A 1080x2340 phone screen: status bar, an app's top bar, the picture scaled to the width,
    like and caption rows, a navigation bar; dark or light theme."""
    dark = rng.random() < 0.5
    background, ink = ((0, 0, 0), (245, 245, 245)) if dark else ((255, 255, 255), (20, 20, 20))
    screen = Image.new("RGB", SCREEN, background)
    draw = ImageDraw.Draw(screen)
    width, height = SCREEN
    draw.text((40, 22), f"{rng.randint(7, 23)}:{rng.randint(0, 59):02d}", font=font(38), fill=ink)
    draw.rectangle((width - 110, 28, width - 50, 58), outline=ink, width=3)
    draw.rectangle((width - 106, 32, width - 106 + rng.randint(15, 52), 54), fill=ink)
    for bar in range(4):
        draw.rectangle((width - 220 + bar * 18, 58 - bar * 9, width - 208 + bar * 18, 58), ink)
    draw.line((0, 210, width, 210), fill=(128, 128, 128), width=2)
    draw.ellipse((40, 110, 120, 190), fill=(rng.randrange(256), 120, 200))
    draw.text((150, 125), rng.choice(HANDLES), font=font(44), fill=ink)
    top, bottom = 212, height - 560
    scaled = image.copy()
    scaled.thumbnail((width, bottom - top), Image.Resampling.LANCZOS)
    if scaled.width < width and image.width >= image.height:
        scaled = image.resize((width, round(image.height * width / image.width)))
    screen.paste(scaled, ((width - scaled.width) // 2, top))
    row = top + scaled.height + 30
    for icon in range(3):
        draw.ellipse((40 + icon * 110, row, 110 + icon * 110, row + 70), outline=ink, width=5)
    draw.text((40, row + 110), f"{rng.randint(2, 999)} likes", font=font(40), fill=ink)
    draw.text((40, row + 170), rng.choice(CAPTIONS), font=font(38), fill=ink)
    draw.rectangle((0, height - 150, width, height), fill=(30, 30, 30) if dark else (240, 240, 240))
    for icon in range(5):
        centre = width * (2 * icon + 1) // 10
        draw.rectangle((centre - 30, height - 105, centre + 30, height - 45), outline=ink, width=5)
    return screen


def collage(
    image: Image.Image, rng: random.Random, others: Sequence[Image.Image] = ()
) -> Image.Image:
    """2x2 cells with white gaps: the picture in a random cell, unrelated pictures in the rest,
    each cropped to fill its cell (the cell has the picture's own shape, so it is not cropped)."""
    cell_width = min(image.width, 800)
    cell = (cell_width, max(1, round(image.height * cell_width / image.width)))
    gap = max(2, cell[0] // 50)
    canvas = Image.new("RGB", (2 * cell[0] + 3 * gap, 2 * cell[1] + 3 * gap), "white")
    spot = rng.randrange(4)
    fillers = list(others) or _plain_fillers(rng)
    for number in range(4):
        if number == spot:
            filled = image.resize(cell, Image.Resampling.LANCZOS)
        else:
            filled = _fill(fillers[(number - (number > spot)) % len(fillers)], cell)
        column, row = number % 2, number // 2
        canvas.paste(filled, (gap + column * (cell[0] + gap), gap + row * (cell[1] + gap)))
    return canvas


def inside_other(
    image: Image.Image, rng: random.Random, others: Sequence[Image.Image] = ()
) -> Image.Image:
    """The picture at half its size pasted somewhere inside an unrelated picture of its size."""
    background = others[0] if others else _plain_fillers(rng)[0]
    canvas = _fill(background, image.size)
    half = image.resize((max(1, image.width // 2), max(1, image.height // 2)))
    x = rng.randint(0, image.width - half.width)
    y = rng.randint(0, image.height - half.height)
    canvas.paste(half, (x, y))
    return canvas


def _fill(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The picture scaled and centre-cropped to exactly `size`."""
    return ImageOps.fit(picture.convert("RGB"), size, Image.Resampling.LANCZOS)


def _plain_fillers(rng: random.Random) -> list[Image.Image]:
    """Stand-ins when no unrelated pictures were given: gradients in random colours."""
    fillers = []
    for _ in range(3):
        gradient = Image.linear_gradient("L").resize((256, 256)).rotate(rng.randrange(360))
        tint = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        bands = [gradient.point(lambda value, shift=shift: (value + shift) % 256) for shift in tint]
        fillers.append(Image.merge("RGB", bands))
    return fillers
