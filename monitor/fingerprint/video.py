"""A video as one item: the fingerprints of its sampled frames, and when a video matches one.

Each sampled frame (`video_decode`: about one a second plus each cut) is hashed the way a whole
image is: PDQ, pHash and dHash, as it is and, when it has flat borders (letterboxing), trimmed.
Hashes are named by frame: "f0012" (the 13th kept frame), "f0012:trimmed". Enrolment adds each
frame mirrored ("f0012:flip", "f0012:trimmed-flip"): mirroring is a common trick against
content matching and thumbnails are sometimes mirrored, while re-uploaded videos are rarely
turned by 90 degrees, so frames are not rotated. A wide frame is also hashed with its middle
cut to 4:3 and to a square ("f0012:crop43", "f0012:crop11"), the thumbnails sites cut; each is
all of the frame's height and more than half its width. A frame that repeats the frame kept
before it (a still scene) is dropped, and a long video keeps at most `MAX_ENROLLED_FRAMES`
frames evenly spread: at most 12 hashes (192 bytes) a frame, about 190 KiB per item.

A candidate image that matches any frame is a sighting of the video (the index holds every
frame's hashes under the one item). A candidate video matches an item when enough of its own
sampled frames do (`VideoMatchRule`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import imagehash
import numpy as np
from PIL import Image

from monitor.errors import VideoDecodeError
from monitor.fingerprint.fingerprinter import MIN_GREY_DEVIATION, MIN_PDQ_QUALITY
from monitor.fingerprint.hashes import FRAME_VARIANT, Hash, bits_hex, hamming
from monitor.fingerprint.matching import PDQ_MATCH, MatchIndex
from monitor.fingerprint.pdq import pdq
from monitor.fingerprint.trim import border_box
from monitor.fingerprint.video_decode import VideoLimits, sample_frames

MAX_ENROLLED_FRAMES: Final = 1000
# Enrolment samples this much of a video (the rest is ignored); the person's own files are
# trusted more than the web's, so there is no wall-clock limit.
ENROLLED_VIDEO_SECONDS: Final = 4 * 3600.0
# A frame whose PDQ is this close to the frame kept before it adds nothing: the candidate
# threshold (31) leaves room for both.
DUPLICATE_PDQ_BITS: Final = 8

# Thumbnail shapes cut from the middle of a wider frame, by variant suffix: width / height.
THUMBNAIL_ASPECTS: Final = {":crop43": 4 / 3, ":crop11": 1.0}

_FrameHashes = list[tuple[str, str, str]]  # (variant suffix, algorithm, hex) of one frame


@dataclass(frozen=True)
class VideoMatchRule:
    """A candidate video shows an item when at least `min_frames` of its sampled frames, and at
    least `min_share` of them, match that item (frames too flat to hash are not counted).

    Three frames are three moments at least a quarter second apart, so one shared still (a
    logo, a title card) is not enough; a share of 10% finds the item inside a compilation ten
    times its length, while 20-second excerpts re-encoded at 320x180 matched with all of their
    frames, and no frame of an unrelated video matched (`python -m tests.bench.video`).
    """

    min_frames: int = 3
    min_share: float = 0.1


@dataclass(frozen=True)
class VideoMatch:
    """An item a candidate video matched: its best frame's evidence and how many frames."""

    client_id: str
    item_id: int
    algorithm: str
    distance: int
    frames_matched: int
    frames: int

    @property
    def evidence(self) -> str:
        """How it matched, short enough for a sighting's algorithm column (32 characters)."""
        return f"{self.algorithm} {self.frames_matched}/{self.frames} frames"


def enrolment_limits(*, max_pixels: int) -> VideoLimits:
    """How much of a video `monitor enroll` and `monitor hash` decode."""
    return VideoLimits.for_seconds(ENROLLED_VIDEO_SECONDS, max_pixels=max_pixels)


def fingerprint_enrolled_video(data: bytes, *, limits: VideoLimits) -> tuple[Hash, ...]:
    """Every kept frame's hashes, as it is and mirrored (see the module docstring).

    Raises `VideoDecodeError` when no frame has enough detail to fingerprint, and whatever
    `sample_frames` raises for bytes that are not a readable video.
    """
    frames: list[_FrameHashes] = []
    previous_pdq: str | None = None
    for frame in sample_frames(data, limits=limits):
        hashes = _hash_frame(frame.image, mirrored=False)
        pdq = next(
            (hex_ for suffix, algorithm, hex_ in hashes if suffix == "" and algorithm == "pdq"),
            None,
        )
        if not hashes or _repeats(pdq, previous_pdq):
            continue
        frames.append(hashes + _hash_frame(frame.image, mirrored=True) + _crops(frame.image))
        previous_pdq = pdq
    if not frames:
        raise VideoDecodeError("no frame of the video has enough detail to fingerprint")
    return _numbered(_evenly_spread(frames, MAX_ENROLLED_FRAMES))


def fingerprint_candidate_video(data: bytes, *, limits: VideoLimits) -> tuple[Hash, ...]:
    """The hashes of each sampled frame of a video found on the web, in its own orientation.

    Frames too flat to hash have no hashes (they are not counted when matching); a video with
    none at all gives an empty tuple.
    """
    return _numbered(
        _hash_frame(frame.image, mirrored=False) for frame in sample_frames(data, limits=limits)
    )


def is_video_fingerprint(hashes: Iterable[Hash]) -> bool:
    """True when the hashes are a video's frames (variants "f0000", ...)."""
    return any(FRAME_VARIANT.fullmatch(h.variant) for h in hashes)


def frames_of(hashes: Iterable[Hash]) -> dict[str, list[Hash]]:
    """Hashes grouped by frame ("f0012" -> its hashes), in the order first seen."""
    frames: dict[str, list[Hash]] = {}
    for h in hashes:
        frames.setdefault(h.variant.split(":", 1)[0], []).append(h)
    return frames


def match_video(
    index: MatchIndex, hashes: Sequence[Hash], *, rule: VideoMatchRule
) -> list[VideoMatch]:
    """Every item enough of the video's frames match (`rule`), best evidence first."""
    frames = frames_of(hashes)
    matched: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
    for frame_hashes in frames.values():
        for match in index.match(frame_hashes):
            rank = (0 if match.algorithm == PDQ_MATCH else 1, match.distance, match.algorithm)
            matched.setdefault((match.client_id, match.item_id), []).append(rank)
    needed = max(min(rule.min_frames, len(frames)), math.ceil(rule.min_share * len(frames)))
    found = [
        VideoMatch(
            client_id=client_id,
            item_id=item_id,
            algorithm=min(ranks)[2],
            distance=min(ranks)[1],
            frames_matched=len(ranks),
            frames=len(frames),
        )
        for (client_id, item_id), ranks in matched.items()
        if len(ranks) >= needed
    ]
    return sorted(found, key=lambda match: (-match.frames_matched, match.distance))


def _hash_frame(image: Image.Image, *, mirrored: bool) -> _FrameHashes:
    picture = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirrored else image
    hashes = _whole_picture(picture, suffix=":flip" if mirrored else "")
    box = border_box(picture)
    if box != (0, 0, *picture.size):
        suffix = ":trimmed-flip" if mirrored else ":trimmed"
        hashes += _whole_picture(picture.crop(box), suffix=suffix)
    return hashes


def _crops(image: Image.Image) -> _FrameHashes:
    hashes: _FrameHashes = []
    for suffix, aspect in THUMBNAIL_ASPECTS.items():
        width = round(image.height * aspect)
        if width > image.width * 0.9:
            continue  # hardly narrower than the frame: the whole frame's hashes match it
        left = (image.width - width) // 2
        hashes += _whole_picture(image.crop((left, 0, left + width, image.height)), suffix=suffix)
    return hashes


def _whole_picture(picture: Image.Image, *, suffix: str) -> _FrameHashes:
    """PDQ, pHash and dHash as the fingerprinter computes them for a candidate image. PDQ by
    `pdq` (the reference binding's bits at the quality kept here, faster: a 10-minute video has
    hundreds of frames, each hashed up to four times)."""
    bits, quality = pdq(np.asarray(picture.convert("RGB")))
    hashes: _FrameHashes = []
    if quality >= MIN_PDQ_QUALITY:
        hashes.append((suffix, "pdq", bits_hex(bits)))
    grey = picture.convert("L")
    thumbnail = np.asarray(grey.resize((64, 64), Image.Resampling.BOX), dtype=np.float32)
    if float(thumbnail.std()) >= MIN_GREY_DEVIATION:
        hashes.append((suffix, "phash", str(imagehash.phash(grey))))
        hashes.append((suffix, "dhash", str(imagehash.dhash(grey))))
    return hashes


def _repeats(pdq: str | None, previous_pdq: str | None) -> bool:
    return (
        pdq is not None
        and previous_pdq is not None
        and (hamming(pdq, previous_pdq) <= DUPLICATE_PDQ_BITS)
    )


def _evenly_spread(frames: list[_FrameHashes], limit: int) -> list[_FrameHashes]:
    if len(frames) <= limit:
        return frames
    picks = np.linspace(0, len(frames) - 1, limit).round().astype(int)
    return [frames[int(position)] for position in picks]


def _numbered(frames: Iterable[_FrameHashes]) -> tuple[Hash, ...]:
    return tuple(
        Hash(algorithm, hex_, f"f{number:04d}{suffix}")
        for number, hashes in enumerate(frames)
        for suffix, algorithm, hex_ in hashes
    )
