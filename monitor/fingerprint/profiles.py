"""Matching profiles: named sets of thresholds, so an organisation picks how much review work it
trades for recall per client, knowingly.

Figures from `python -m tests.bench.accuracy /work/photos` (55 real photos, 33 kinds of
re-upload each, over 1,000,000 unrelated pairs; the table "Matching profiles" of that run):
MEASURED_PLACEHOLDER
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

ProfileName = Literal["strict", "standard", "loose"]


@dataclass(frozen=True)
class Thresholds:
    """Largest distances that still match: PDQ bits of 256; pHash and dHash bits of 64."""

    pdq: int
    phash: int
    dhash: int


PROFILES: Final[dict[str, Thresholds]] = {
    "strict": Thresholds(pdq=26, phash=10, dhash=5),
    "standard": Thresholds(pdq=31, phash=12, dhash=6),
    "loose": Thresholds(pdq=36, phash=12, dhash=6),
}
DEFAULT_PROFILE: Final[ProfileName] = "standard"
