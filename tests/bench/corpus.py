"""Everything the accuracy benchmark hashes for one photo, built in a worker process.

For each photo: its enrolment (our fingerprints of the original file, and the plain baselines'),
a few decoy enrolments (other pictures of the same look: windows of 50-80% of the photo), one
re-upload per transform, and distractor pieces (grid tiles, small crops). Only hashes and CPU
times leave the worker; every picture and file stays in its memory.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from PIL import Image

from monitor.fingerprint import Hash, fingerprint_candidate, fingerprint_enrolled
from tests.bench.baselines import PlainHashes, plain_hashes
from tests.bench.distractors import decoy_regions, grid_tiles, random_crops
from tests.bench.transforms import TRANSFORMS, full_resolution, jpeg

MAX_PIXELS = 200_000_000
# Re-uploads are made from the photo as sites serve it: at most this many pixels on the long
# side (big social sites store uploads at 1080-2048).
WEB_SIDE = 2048
# Unrelated pictures in collages and behind picture-in-picture are scaled to this.
OTHER_SIDE = 1024

T = TypeVar("T")


@dataclass(frozen=True)
class Sample:
    """One picture's hashes, ours and the plain baselines', with the CPU time each took."""

    ours: tuple[Hash, ...]
    plain: PlainHashes
    ours_seconds: float
    plain_seconds: float
    # The plain way with our PDQ instead of the reference binding's (`plain_hashes(our_pdq=)`).
    plain_our_pdq_seconds: float


@dataclass(frozen=True)
class Candidate:
    """A picture found on the web: a re-upload of `source`, or a distractor."""

    kind: str  # "re-upload", "tile", "crop" or "flat/text"
    label: str  # the transform's name, or how the distractor was cut
    source: int | None  # the photo it is a re-upload or piece of
    shows: frozenset[int]  # every photo any of its pixels come from
    sample: Sample


@dataclass(frozen=True)
class Enrolled:
    kind: str  # "photo" or "decoy"
    source: int
    sample: Sample


@dataclass(frozen=True)
class PhotoJob:
    number: int
    path: Path
    others: tuple[tuple[int, Path], ...]  # unrelated photos for collages, by number
    seed: int
    decoys: int
    crops: int
    grids: tuple[int, ...]


@dataclass(frozen=True)
class PhotoResult:
    number: int
    enrolled: tuple[Enrolled, ...]  # the photo first, then its decoys
    candidates: tuple[Candidate, ...]


def build_photo(job: PhotoJob) -> PhotoResult:
    data = job.path.read_bytes()
    enrolled = [Enrolled("photo", job.number, enrolled_sample(data))]
    picture = full_resolution(data)
    decoy_rng = random.Random(f"{job.seed}/decoys/{job.number}")
    for region in decoy_regions(picture, decoy_rng, count=job.decoys):
        enrolled.append(Enrolled("decoy", job.number, enrolled_sample(jpeg(region, 90))))
    picture.thumbnail((WEB_SIDE, WEB_SIDE), Image.Resampling.LANCZOS)
    others = [_other_picture(path) for _number, path in job.others]
    candidates = []
    for transform in TRANSFORMS:
        rng = random.Random(f"{job.seed}/{transform.name}/{job.number}")
        upload = transform.apply(picture, rng, others)
        used = {number for number, _path in job.others[: transform.uses_others]}
        shows = frozenset({job.number, *used})
        candidates.append(
            Candidate("re-upload", transform.name, job.number, shows, candidate_sample(upload))
        )
    pieces = [
        ("tile", tile) for per_side in job.grids for tile in grid_tiles(picture, per_side=per_side)
    ]
    crop_rng = random.Random(f"{job.seed}/crops/{job.number}")
    pieces += [("crop", crop) for crop in random_crops(picture, crop_rng, count=job.crops)]
    for kind, piece in pieces:
        sample = candidate_sample(jpeg(piece, 80))
        candidates.append(Candidate(kind, kind, job.number, frozenset({job.number}), sample))
    return PhotoResult(job.number, tuple(enrolled), tuple(candidates))


def enrolled_sample(data: bytes) -> Sample:
    ours, ours_seconds = _timed(lambda: fingerprint_enrolled(data, max_pixels=MAX_PIXELS))
    return _with_plain(data, ours, ours_seconds)


def candidate_sample(data: bytes) -> Sample:
    ours, ours_seconds = _timed(lambda: fingerprint_candidate(data, max_pixels=MAX_PIXELS))
    return _with_plain(data, ours, ours_seconds)


def _with_plain(data: bytes, ours: tuple[Hash, ...], ours_seconds: float) -> Sample:
    plain, plain_seconds = _timed(lambda: plain_hashes(data))
    _same, plain_our_pdq_seconds = _timed(lambda: plain_hashes(data, our_pdq=True))
    return Sample(ours, plain, ours_seconds, plain_seconds, plain_our_pdq_seconds)


def _timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.process_time()
    result = work()
    return result, time.process_time() - started


@functools.lru_cache(maxsize=16)
def _other_picture(path: Path) -> Image.Image:
    picture = full_resolution(path.read_bytes())
    picture.thumbnail((OTHER_SIDE, OTHER_SIDE), Image.Resampling.LANCZOS)
    return picture
