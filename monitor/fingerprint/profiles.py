"""Matching profiles: named sets of thresholds, so an organisation picks how much review work it
trades for recall per client, knowingly.

Figures from `python -m tests.bench.accuracy /work/photos`, run 2026-11-22 (55 real photos,
33 kinds of re-upload each, 1,182,944 unrelated pairs; the table "Matching profiles" of that
run). Recall is the lowest and the mean share found over the 21 mild and the 12 hard kinds of
re-upload; margins are the closest unrelated pair's PDQ distance minus `pdq`, and its
pHash+dHash slack (max(pHash - phash, dHash - dhash); it matches at <= 0):

    profile   pdq  pHash+dHash  mild min/mean  hard min/mean  hard >=90%  false  PDQ margin  slack
    strict     26         10+5    20.8%/94.4%    56.2%/75.3%        1/12      0         +18     +2
    standard   31         12+6    31.2%/95.4%    60.4%/76.7%        1/12      0         +13     +1
    loose      36         12+6    31.2%/95.4%    60.4%/77.8%        2/12      0          +8     +1

"loose" widens PDQ only: at pHash+dHash 14+8 it found more (mild 54.2%/96.8%, hard
60.4%/78.5%) but made 10 false matches in the same run (slack margin -1); the closest
unrelated pair is 1 bit beyond 12+6.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

ProfileName = Literal["strict", "standard", "loose"]


@dataclass(frozen=True)
class Thresholds:
    """Largest distances that still match: PDQ bits of 256; pHash and dHash bits of 64, of the
    whole picture (`phash`, `dhash`) and of its large regions (`region_phash`, `region_dhash`:
    an enrolled picture has about a hundred regions, so each gets a tighter pair to keep the
    chance of an unrelated match as low as the whole picture's)."""

    pdq: int
    phash: int
    dhash: int
    region_phash: int
    region_dhash: int


PROFILES: Final[dict[str, Thresholds]] = {
    "strict": Thresholds(pdq=26, phash=10, dhash=5, region_phash=6, region_dhash=3),
    "standard": Thresholds(pdq=31, phash=12, dhash=6, region_phash=8, region_dhash=4),
    "loose": Thresholds(pdq=36, phash=12, dhash=6, region_phash=9, region_dhash=5),
}
DEFAULT_PROFILE: Final[ProfileName] = "standard"
