"""Videos made in memory with PyAV from pictures: pans, zooms, still shots and cuts between them.

Used by the video tests and `tests.bench.video`. `frame_at` renders the exact picture the
encoder was given at any moment, so a test can take "a frame from anywhere in the video"
without decoding it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import av
import numpy as np
from PIL import Image

Motion = Literal["pan", "zoom", "still"]
CODECS = {"mp4": "libx264", "webm": "libvpx-vp9", "mov": "libx264", "avi": "mpeg4"}


@dataclass(frozen=True)
class Shot:
    """`seconds` of one picture, moving across it (pan), into it (zoom) or not at all."""

    picture: Image.Image
    seconds: float
    motion: Motion = "pan"


@dataclass(frozen=True)
class Clip:
    shots: tuple[Shot, ...]
    size: tuple[int, int]

    @property
    def seconds(self) -> float:
        return sum(shot.seconds for shot in self.shots)

    def frame_at(self, seconds: float) -> Image.Image:
        """The picture shown at `seconds` (clamped to the clip)."""
        start = 0.0
        for shot in self.shots:
            if seconds < start + shot.seconds or shot is self.shots[-1]:
                progress = min(1.0, max(0.0, (seconds - start) / shot.seconds))
                return _render(shot, progress=progress, size=self.size)
            start += shot.seconds
        raise ValueError("a clip has at least one shot")


def encode_clip(
    clip: Clip,
    *,
    fps: int = 12,
    container: str = "mp4",
    size: tuple[int, int] | None = None,
    start: float = 0.0,
    seconds: float | None = None,
    quality: int = 28,
) -> bytes:
    """The clip (or `seconds` of it from `start`) encoded in memory, optionally at another size.

    `quality` is the encoder's CRF (higher: smaller file, worse picture).
    """
    width, height = size or clip.size
    length = clip.seconds - start if seconds is None else seconds
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(CODECS[container], rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.thread_count = 1
        if CODECS[container] == "libx264":
            stream.options = {"preset": "ultrafast", "crf": str(quality)}
        elif CODECS[container] == "libvpx-vp9":
            stream.options = {"deadline": "realtime", "cpu-used": "8", "crf": str(quality + 4)}
            stream.bit_rate = 0
        else:
            stream.bit_rate = width * height * fps // 4
        for number in range(max(1, round(length * fps))):
            picture = clip.frame_at(start + number / fps)
            if picture.size != (width, height):
                picture = picture.resize((width, height), Image.Resampling.BILINEAR)
            frame = av.VideoFrame.from_ndarray(np.asarray(picture), format="rgb24")
            frame.pts = number
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return buffer.getvalue()


def cuts_between(pictures: Sequence[Image.Image], *, seconds: float, size: tuple[int, int]) -> Clip:
    """One shot per picture, each `seconds` long, motions taking turns: pan, zoom, still."""
    motions: tuple[Motion, ...] = ("pan", "zoom", "still")
    return Clip(
        shots=tuple(
            Shot(picture=fit(picture, size), seconds=seconds, motion=motions[number % 3])
            for number, picture in enumerate(pictures)
        ),
        size=size,
    )


def fit(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """The picture scaled so that its still or panned window is exactly `size` (fast to cut)."""
    window_width, _ = _window(picture, size)
    scale = size[0] / window_width
    scaled = (
        max(size[0], round(picture.width * scale)),
        max(size[1], round(picture.height * scale)),
    )
    return picture.resize(scaled, Image.Resampling.LANCZOS)


def _window(picture: Image.Image, size: tuple[int, int]) -> tuple[float, float]:
    """80% of the picture's width at the clip's aspect (less if the picture is too short)."""
    width, height = size
    base_height = min(picture.height, picture.width * 0.8 * height / width)
    return base_height * width / height, base_height


def _render(shot: Shot, *, progress: float, size: tuple[int, int]) -> Image.Image:
    picture = shot.picture
    # The visible window, panned left to right over the rest of the width, or zoomed from that
    # window to half of it.
    base_width, base_height = _window(picture, size)
    if shot.motion != "zoom" and round(base_width) == size[0]:
        column = round((picture.width - size[0]) * (progress if shot.motion == "pan" else 0.5))
        row = (picture.height - size[1]) // 2
        return picture.crop((column, row, column + size[0], row + size[1]))
    if shot.motion == "zoom":
        scale = 1.0 - 0.5 * progress
        window = (base_width * scale, base_height * scale)
        left = (picture.width - window[0]) / 2
        top = (picture.height - window[1]) / 2
    else:
        window = (base_width, base_height)
        travel = picture.width - base_width
        left = travel * (progress if shot.motion == "pan" else 0.5)
        top = (picture.height - base_height) / 2
    box = (left, top, left + window[0], top + window[1])
    return picture.resize(size, Image.Resampling.BILINEAR, box=box)
