"""Video benchmark: enrolled videos made from real photos, found again through thumbnails,
re-encoded excerpts, and never through unrelated pictures or videos.

    python -m tests.bench.video PHOTOS_DIR [--quick]

It makes two videos from the photos (pans, zooms, still shots, a cut every 10 seconds): a long
one (10 minutes, 640x360, 24 fps, H.264) and a short one (1 minute, 1280x720, 30 fps, H.264),
and enrols both with the monitor's real code, timing it (one thread: the decoder is set to one
thread and hashing is single-threaded). Then:
  * frames from random moments of either video, resized to 25-75% and re-encoded as JPEG at
    quality 40-85 (a thumbnail or poster frame), some mirrored, matched as candidate images;
  * 20-second excerpts re-encoded at 320x180 (H.264 and VP9) matched as candidate videos;
  * unrelated photos (whole, halves and quadrants, as web-sized JPEGs) and an unrelated video
    made from them: false matches, and the margin (closest PDQ and pHash/dHash distances to any
    enrolled frame against the thresholds).
Everything stays in memory. `--quick` makes the long video 2 minutes (a smoke run).
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from monitor.fingerprint import (
    Hash,
    IndexEntry,
    MatchIndex,
    MatchSettings,
    decode_image,
    fingerprint_candidate,
)
from monitor.fingerprint.video import (
    VideoMatchRule,
    fingerprint_candidate_video,
    fingerprint_enrolled_video,
    frames_of,
    match_video,
)
from monitor.fingerprint.video_decode import VideoLimits
from tests.bench.distractors import family_of
from tests.videos import Clip, Motion, Shot, encode_clip, fit

SHOT_SECONDS = 10.0
LIMITS = VideoLimits.for_seconds(4 * 3600, max_pixels=10_000_000)
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


@dataclass(frozen=True)
class Video:
    name: str
    item_id: int
    clip: Clip
    hashes: tuple[Hash, ...]
    enrol_seconds: float
    enrol_cpu_seconds: float
    data_bytes: int


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.video", description=__doc__)
    parser.add_argument("photos", type=Path)
    parser.add_argument("--quick", action="store_true", help="a 2-minute long video")
    args = parser.parse_args(argv)
    started = time.monotonic()
    photos = _load_photos(args.photos)
    if len(photos) < 12:
        print(f"need at least 12 photos with content, found {len(photos)}", file=sys.stderr)
        return 2
    ours, unrelated = _split(photos)
    long_minutes = 2 if args.quick else 10
    print(f"{len(photos)} photos with content: {len(ours)} in videos, {len(unrelated)} unrelated")
    videos = [
        _enrol("long", 1, _clip(ours[:-4], minutes=long_minutes, size=(640, 360)), fps=24),
        _enrol("short", 2, _clip(ours[-4:], minutes=1, size=(1280, 720)), fps=30),
    ]
    settings = MatchSettings()
    index = MatchIndex(
        [IndexEntry("k1", video.item_id, h) for video in videos for h in video.hashes],
        settings=settings,
    )
    print()
    print("enrolment (decode + sample + hash; one thread)")
    for video in videos:
        frames = frames_of(video.hashes)
        size = sum(len(h.hex) // 2 for h in video.hashes)
        print(
            f"  {video.name:5}  {video.clip.seconds / 60:4.1f} min {video.clip.size[0]}x"
            f"{video.clip.size[1]}  {video.data_bytes / 1e6:5.1f} MB  "
            f"{video.enrol_seconds:5.1f} s wall  {video.enrol_cpu_seconds:5.1f} s CPU  "
            f"{len(frames)} frames  {len(video.hashes)} hashes  {size / 1024:.0f} KiB of hashes"
        )
    print()
    _thumbnails(index, videos, rng=random.Random(7))
    print()
    _excerpts(index, videos, rng=random.Random(8))
    print()
    _unrelated(index, videos, unrelated, settings=settings)
    print(
        f"\nbenchmark time: {time.monotonic() - started:.0f} s wall, "
        f"{time.process_time():.0f} s CPU"
    )
    return 0


def _load_photos(folder: Path) -> list[tuple[str, Image.Image]]:
    """Photos with content (not blank on white), web-sized, with their file names."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in SUFFIXES:
            continue
        image = decode_image(path.read_bytes(), max_pixels=400_000_000)
        image.thumbnail((2048, 2048))
        grey = np.asarray(image.convert("L").resize((64, 64)), dtype=np.float32)
        if float(grey.std()) >= 8:
            found.append((path.name, image))
    return found


def _split(
    photos: list[tuple[str, Image.Image]],
) -> tuple[list[Image.Image], list[Image.Image]]:
    """Every other family goes into the videos; the rest are unrelated to both videos."""
    families = family_of([name for name, _ in photos])
    order = sorted(set(families))
    ours = [
        image
        for (_, image), family in zip(photos, families, strict=True)
        if order.index(family) % 2 == 0
    ]
    others = [
        image
        for (_, image), family in zip(photos, families, strict=True)
        if order.index(family) % 2 == 1
    ]
    return ours, others


def _clip(pictures: Sequence[Image.Image], *, minutes: int, size: tuple[int, int]) -> Clip:
    motions: tuple[Motion, ...] = ("pan", "zoom", "still")
    fitted = [fit(picture, size) for picture in pictures]
    shots = int(minutes * 60 / SHOT_SECONDS)
    return Clip(
        shots=tuple(
            # A picture shown again comes back with another motion.
            Shot(fitted[n % len(fitted)], SHOT_SECONDS, motions[(n + n // len(fitted)) % 3])
            for n in range(shots)
        ),
        size=size,
    )


def _enrol(name: str, item_id: int, clip: Clip, *, fps: int) -> Video:
    made = time.monotonic()
    data = encode_clip(clip, fps=fps, quality=23)
    print(f"made the {name} video in {time.monotonic() - made:.0f} s", flush=True)
    wall, cpu = time.monotonic(), time.process_time()
    hashes = fingerprint_enrolled_video(data, limits=LIMITS)
    return Video(
        name=name,
        item_id=item_id,
        clip=clip,
        hashes=hashes,
        enrol_seconds=time.monotonic() - wall,
        enrol_cpu_seconds=time.process_time() - cpu,
        data_bytes=len(data),
    )


def _jpeg(image: Image.Image, *, quality: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)  # in memory only
    return buffer.getvalue()


def _mirrored(frame: Image.Image) -> Image.Image:
    return frame.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def _cropped_to_4_3(frame: Image.Image) -> Image.Image:
    """The middle of a 16:9 frame cut to 4:3, as some sites crop thumbnails."""
    width = frame.height * 4 // 3
    left = (frame.width - width) // 2
    return frame.crop((left, 0, left + width, frame.height))


def _cropped_square(frame: Image.Image) -> Image.Image:
    left = (frame.width - frame.height) // 2
    return frame.crop((left, 0, left + frame.height, frame.height))


def _cropped_off_centre(frame: Image.Image) -> Image.Image:
    """A 4:3 cut a tenth of the frame's width off the middle: a crop we do not enrol."""
    width = frame.height * 4 // 3
    left = (frame.width - width) // 2 + frame.width // 10
    return frame.crop((left, 0, left + width, frame.height))


def _letterboxed(frame: Image.Image) -> Image.Image:
    """The frame on black bars filling a 4:3 thumbnail."""
    canvas = Image.new("RGB", (frame.width, frame.width * 3 // 4))
    canvas.paste(frame, (0, (canvas.height - frame.height) // 2))
    return canvas


THUMBNAILS = {
    "as is": (150, lambda frame: frame),
    "mirrored": (40, _mirrored),
    "letterboxed": (40, _letterboxed),
    "cropped 4:3": (40, _cropped_to_4_3),
    "cropped 1:1": (40, _cropped_square),
    "4:3 off-mid": (40, _cropped_off_centre),
}


def _thumbnails(index: MatchIndex, videos: list[Video], *, rng: random.Random) -> None:
    print("a frame from anywhere, resized to 25-75% and re-encoded as JPEG q40-85")
    for label, (tries, change) in THUMBNAILS.items():
        for video in videos:
            found, misses = 0, []
            for _ in range(tries):
                moment = rng.uniform(0, video.clip.seconds)
                frame = change(video.clip.frame_at(moment))
                scale = rng.uniform(0.25, 0.75)
                frame = frame.resize((round(frame.width * scale), round(frame.height * scale)))
                data = _jpeg(frame, quality=rng.randrange(40, 86))
                matches = index.match(fingerprint_candidate(data, max_pixels=10**8))
                if [m.item_id for m in matches][:1] == [video.item_id]:
                    found += 1
                else:
                    misses.append(f"{moment:.1f}s")
            print(
                f"  {video.name:5} {label:11}  {found}/{tries} = {found / tries:6.1%}"
                + (f"  missed at {', '.join(misses[:6])}" if misses else "")
            )


def _excerpts(index: MatchIndex, videos: list[Video], *, rng: random.Random) -> None:
    rule = VideoMatchRule()
    print(
        f"20-second excerpts re-encoded at 320x180 (rule: >= {rule.min_frames} frames and "
        f">= {rule.min_share:.0%} of the excerpt's frames)"
    )
    for video in videos:
        for number in range(4 if video.name == "long" else 2):
            container = "webm" if number % 2 else "mp4"
            start = rng.uniform(0, video.clip.seconds - 20)
            data = encode_clip(
                video.clip, fps=24, container=container, size=(320, 180), start=start, seconds=20
            )
            hashes = fingerprint_candidate_video(data, limits=LIMITS)
            matches = match_video(index, hashes, rule=rule)
            mine = [m for m in matches if m.item_id == video.item_id]
            verdict = "found" if mine and matches[0].item_id == video.item_id else "MISSED"
            share = f"{mine[0].frames_matched}/{mine[0].frames} frames" if mine else ""
            print(f"  {video.name:5} from {start:6.1f}s as {container:4}  {verdict}  {share}")


def _unrelated(
    index: MatchIndex,
    videos: list[Video],
    pictures: list[Image.Image],
    *,
    settings: MatchSettings,
) -> None:
    enrolled = [h for video in videos for h in video.hashes]
    pieces = []
    for picture in pictures:
        web = picture.copy()
        web.thumbnail((1024, 1024))
        w, h = web.size
        pieces.append(web)
        pieces += [web.crop(box) for box in ((0, 0, w // 2, h), (w // 2, 0, w, h))]
        pieces += [
            web.crop((x, y, x + w // 2, y + h // 2)) for x in (0, w // 2) for y in (0, h // 2)
        ]
    false_matches = 0
    closest_pdq, closest_pair = 256, (64, 64)
    for piece in pieces:
        hashes = fingerprint_candidate(_jpeg(piece, quality=80), max_pixels=10**8)
        false_matches += bool(index.match(hashes))
        pdq, pair = _closest(hashes, enrolled)
        closest_pdq, closest_pair = min(closest_pdq, pdq), min(closest_pair, pair)
    pdq_rows = sum(1 for h in enrolled if h.algorithm == "pdq")
    print(
        f"unrelated pictures: {len(pieces)} (photos, halves, quadrants) x {pdq_rows} enrolled "
        f"frame PDQs = {len(pieces) * pdq_rows:,} pairs; false matches: {false_matches}"
    )
    print(
        f"  closest PDQ {closest_pdq} bits (threshold {settings.pdq}, margin "
        f"{closest_pdq - settings.pdq}); closest pHash/dHash in one orientation {closest_pair} "
        f"(thresholds {settings.phash}/{settings.dhash})"
    )
    other = _clip(pictures, minutes=1, size=(640, 360))
    data = encode_clip(other, fps=24)
    hashes = fingerprint_candidate_video(data, limits=LIMITS)
    frames = frames_of(hashes)
    frame_hits = sum(1 for frame in frames.values() if index.match(frame))
    matches = match_video(index, hashes, rule=VideoMatchRule())
    print(
        f"unrelated video (1 min of the unrelated photos): {len(matches)} false video matches; "
        f"{frame_hits} of its {len(frames)} frames match any enrolled frame"
    )


def _closest(candidate: Sequence[Hash], enrolled: Sequence[Hash]) -> tuple[int, tuple[int, int]]:
    """Closest PDQ distance, and closest (pHash, dHash) of one enrolled variant, to any frame."""
    pdq_hex = "".join(h.hex for h in enrolled if h.algorithm == "pdq")
    pdq_rows = np.frombuffer(bytes.fromhex(pdq_hex), dtype=np.uint8).reshape(-1, 32)
    closest_pdq = 256
    for h in candidate:
        if h.algorithm == "pdq":
            row = np.frombuffer(bytes.fromhex(h.hex), dtype=np.uint8)
            bits = np.unpackbits(pdq_rows ^ row, axis=1).sum(axis=1)
            closest_pdq = min(closest_pdq, int(bits.min()))
    by_variant: dict[str, dict[str, int]] = {}
    for h in enrolled:
        if h.algorithm in ("phash", "dhash"):
            by_variant.setdefault(h.variant, {})[h.algorithm] = int(h.hex, 16)
    pairs = [(v["phash"], v["dhash"]) for v in by_variant.values() if len(v) == 2]
    found = {h.algorithm: int(h.hex, 16) for h in candidate if h.variant == "original"}
    if "phash" not in found or not pairs:
        return closest_pdq, (64, 64)
    closest = min(
        (((found["phash"] ^ p).bit_count(), (found["dhash"] ^ d).bit_count()) for p, d in pairs),
        key=lambda pair: max(pair[0] - 12, pair[1] - 9),
    )
    return closest_pdq, closest


if __name__ == "__main__":
    raise SystemExit(main())
