"""Video bytes -> the frames worth fingerprinting, decoded in memory with PyAV (FFmpeg).

Frames are sampled about once a second, plus the first frame after each cut (a scene change)
and more while a fast pan or zoom moves the picture on, at most four a second. The bytes are
read from a `BytesIO`: nothing is written to disk, and no frame leaves this process.

Hostile input is bounded before it costs much: only MP4/MOV, WebM/Matroska and AVI containers
are opened (sniffed from the first bytes, so FFmpeg never probes playlist formats such as HLS that
open other files or URLs), only common video codecs are decoded, frame size is capped in the
header and in the decoder, and decoding stops at a stream-time cap, a frame-count cap and a
wall-clock cap.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import av
import av.error
import numpy as np
from PIL import Image

from monitor.errors import VideoDecodeError, VideoTooLargeError

# One regular sample per this many seconds of stream time.
SAMPLE_INTERVAL: Final = 1.0
# A cut: the mean difference (0-255) of two consecutive frames' 64x36 grey thumbnails. Measured
# on the benchmark's videos of real photos (`python -m tests.bench.video`): pans and zooms move
# it by at most 2.1 from one frame to the next, cuts between photos by 37-94.
CUT_DIFFERENCE: Final = 20.0
# A pan or zoom that has moved the picture on this much (the same measure, against the last
# sampled frame) since the last sample is sampled again before the second is up: PDQ tells a
# shift of a few percent from a new picture, so fast camera moves need more than one a second.
DRIFT_DIFFERENCE: Final = 8.0
# A strobe or a flickering stream could cut on every frame: at most one extra sample this often.
MIN_CUT_GAP: Final = 0.25
# Frames are handed on scaled to fit this square, the size images are hashed at.
FRAME_SIDE: Final = 512

_CONTAINERS: Final = {"mov": "MP4/MOV", "matroska": "WebM/Matroska", "avi": "AVI"}
_MP4_BOXES: Final = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_CODECS: Final = frozenset(
    {"h264", "hevc", "vp8", "vp9", "av1", "libdav1d", "libvpx", "libvpx-vp9", "mpeg4", "mjpeg"}
    | {"mpeg1video", "mpeg2video", "msmpeg4v2", "msmpeg4v3", "h263", "theora", "prores"}
)
# Y-plane formats whose first plane is 8-bit luma: the thumbnail is read from it directly.
_LUMA_FORMATS: Final = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)
_GRID: Final = (36, 64)  # rows, columns of the cut-detection thumbnail


@dataclass(frozen=True)
class VideoLimits:
    """How much of a video is decoded.

    `max_seconds` of stream time are sampled and the rest ignored; more than `max_pixels` per
    frame, more than `max_frames` decoded frames in those seconds, or more than
    `max_decode_seconds` of wall-clock time (None: no limit) fail with `VideoTooLargeError`.
    """

    max_seconds: float
    max_pixels: int
    max_frames: int
    max_decode_seconds: float | None = None

    @classmethod
    def for_seconds(
        cls, seconds: float, *, max_pixels: int, max_decode_seconds: float | None = None
    ) -> VideoLimits:
        """Limits for `seconds` of video at up to 120 frames a second."""
        return cls(
            max_seconds=seconds,
            max_pixels=max_pixels,
            max_frames=int(seconds * 120) + 240,
            max_decode_seconds=max_decode_seconds,
        )


@dataclass(frozen=True)
class SampledFrame:
    """One frame to fingerprint: `seconds` into the video, as displayed, at most FRAME_SIDE."""

    seconds: float
    cut: bool
    image: Image.Image


def video_container(data: bytes) -> str | None:
    """The FFmpeg demuxer for `data` ("mov", "matroska", "avi"), or None if it is no video."""
    if len(data) >= 12 and data[4:8] in _MP4_BOXES:
        return "mov"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if data[:4] == b"RIFF" and data[8:12] == b"AVI ":
        return "avi"
    return None


def sample_frames(data: bytes, *, limits: VideoLimits) -> Iterator[SampledFrame]:
    """Frames about one a second, the first after each cut and more in fast moves, in order.

    Raises `VideoDecodeError` for anything that is not a readable video in an allowed container
    and codec (a video that breaks off after some frames gives those frames), and
    `VideoTooLargeError` when a limit of `limits` other than `max_seconds` is passed.
    """
    container_name = video_container(data)
    if container_name is None:
        raise VideoDecodeError(
            f"the data is not a video in a supported container ({_sniff(data)}); "
            f"supported: {', '.join(_CONTAINERS.values())}"
        )
    started = time.monotonic()
    container = _open(data, container_name=container_name, limits=limits)
    sampled = 0
    try:
        frames = _decoded_frames(container, limits=limits, started=started)
        aspect = container.streams.video[0].sample_aspect_ratio
        for frame in _sampled(frames):
            sampled += 1
            yield SampledFrame(
                seconds=frame.seconds, cut=frame.cut, image=_displayed(frame.frame, aspect=aspect)
            )
    except av.error.FFmpegError as error:
        if sampled == 0:
            raise VideoDecodeError(
                f"the {_CONTAINERS[container_name]} video cannot be decoded ({error}); "
                "it is truncated or corrupt"
            ) from error
    finally:
        container.close()
    if sampled == 0:
        raise VideoDecodeError(
            f"the {_CONTAINERS[container_name]} video has no frame that can be decoded; "
            "it is truncated, empty or corrupt"
        )


def _open(data: bytes, *, container_name: str, limits: VideoLimits) -> av.container.InputContainer:
    try:
        container = av.open(
            io.BytesIO(data),
            mode="r",
            format=container_name,
            options={"probesize": "5000000", "analyzeduration": "5000000"},
        )
    except (av.error.FFmpegError, ValueError, OSError, EOFError, IndexError) as error:
        raise VideoDecodeError(
            f"the {_CONTAINERS[container_name]} header is unreadable ({error}); "
            "the file is truncated or corrupt"
        ) from error
    try:
        _check_stream(container, limits=limits)
    except BaseException:
        container.close()
        raise
    return container


def _check_stream(container: av.container.InputContainer, *, limits: VideoLimits) -> None:
    if not container.streams.video:
        raise VideoDecodeError("the file has no video stream (audio only?); nothing to fingerprint")
    stream = container.streams.video[0]
    codec = stream.codec_context
    if codec.name not in _CODECS:
        raise VideoDecodeError(
            f"the video is encoded as {codec.name!r}, which the monitor does not decode; "
            f"supported: {', '.join(sorted(_CODECS))}"
        )
    width, height = codec.width, codec.height
    if width * height > limits.max_pixels:
        raise VideoTooLargeError(
            f"the video's frames are {width}x{height} = {width * height:,} pixels, more than "
            f"fetch.max_video_pixels = {limits.max_pixels:,}"
        )
    codec.thread_count = 1  # sweeps run several candidates at once; one core each
    # Frames that no other frame refers to (most B-frames) and the deblocking filter cost a
    # third of the decoding time and change nothing a 64x64 hash sees.
    codec.skip_frame = "NONREF"
    codec.options = {"max_pixels": str(limits.max_pixels), "skip_loop_filter": "all"}


@dataclass(frozen=True)
class _Decoded:
    frame: av.VideoFrame
    seconds: float
    cut: bool
    grid: np.ndarray


def _decoded_frames(
    container: av.container.InputContainer, *, limits: VideoLimits, started: float
) -> Iterator[_Decoded]:
    """Every frame up to `limits.max_seconds`, with its time and whether it follows a cut."""
    stream = container.streams.video[0]
    rate = float(stream.average_rate or 25)
    previous: np.ndarray | None = None
    for count, frame in enumerate(container.decode(stream), start=1):
        seconds = frame.time if frame.time is not None else (count - 1) / rate
        if seconds > limits.max_seconds:
            return
        if count > limits.max_frames:
            raise VideoTooLargeError(
                f"the video has more than {limits.max_frames:,} frames in its first "
                f"{limits.max_seconds:g} seconds; it is not a video a person would watch"
            )
        budget = limits.max_decode_seconds
        if budget is not None and time.monotonic() - started > budget:
            raise VideoTooLargeError(
                f"decoding took more than fetch.max_video_decode_seconds = {budget:g} s "
                f"({count:,} frames, {seconds:.0f} s of video)"
            )
        if frame.width * frame.height > limits.max_pixels:
            raise VideoTooLargeError(
                f"a frame at {seconds:.1f} s is {frame.width}x{frame.height} pixels, more than "
                f"fetch.max_video_pixels = {limits.max_pixels:,}"
            )
        grid = _grey_grid(frame)
        cut = previous is not None and float(np.abs(grid - previous).mean()) > CUT_DIFFERENCE
        previous = grid
        yield _Decoded(frame=frame, seconds=max(0.0, float(seconds)), cut=cut, grid=grid)


def _sampled(frames: Iterator[_Decoded]) -> Iterator[_Decoded]:
    last: _Decoded | None = None
    for decoded in frames:
        if last is None or decoded.seconds - last.seconds >= SAMPLE_INTERVAL:
            due = True
        elif decoded.seconds - last.seconds < MIN_CUT_GAP:
            due = False
        else:
            drift = float(np.abs(decoded.grid - last.grid).mean())
            due = decoded.cut or drift > DRIFT_DIFFERENCE
        if due:
            last = decoded
            yield decoded


def _grey_grid(frame: av.VideoFrame) -> np.ndarray:
    """A 64x36 grey thumbnail: block means of the luma plane, or a scaled grey copy."""
    rows, columns = _GRID
    if frame.format.name in _LUMA_FORMATS and frame.height >= rows and frame.width >= columns:
        plane = frame.planes[0]
        luma = np.frombuffer(memoryview(plane), np.uint8)[: plane.line_size * plane.height]
        luma = luma.reshape(plane.height, plane.line_size)[:, : plane.width]
        block_rows, block_columns = plane.height // rows, plane.width // columns
        # Every 4th line and column of each block is enough to see a cut, at a 16th of the cost.
        step_rows, step_columns = max(1, block_rows // 4), max(1, block_columns // 4)
        picked = luma[: block_rows * rows : step_rows, : block_columns * columns : step_columns]
        blocks = picked.reshape(rows, -1, columns, picked.shape[1] // columns)
        grid: np.ndarray = blocks.mean(axis=(1, 3), dtype=np.float32)
        return grid
    grey = frame.reformat(width=columns, height=rows, format="gray")
    return np.asarray(grey.to_ndarray(), dtype=np.float32)


def _displayed(frame: av.VideoFrame, *, aspect: Fraction | None) -> Image.Image:
    """The frame as a player shows it: display aspect ratio, rotation, at most FRAME_SIDE."""
    width, height = frame.width, frame.height
    if aspect is not None and aspect > 0 and abs(float(aspect) - 1) > 0.01:
        width = max(1, round(width * float(aspect)))
    scale = min(1.0, FRAME_SIDE / max(width, height))
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image: Image.Image = frame.to_image(width=size[0], height=size[1])  # type: ignore[no-untyped-call]
    rotation = frame.rotation % 360
    if rotation in (90, 180, 270):
        # The display matrix turns counter-clockwise by `rotation` degrees.
        image = image.rotate(rotation, expand=True)
    return image


def _sniff(data: bytes) -> str:
    if not data:
        return "it is empty"
    return f"{len(data):,} bytes starting {data[:8].hex(' ')}"
