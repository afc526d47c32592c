"""Matching profiles: named sets of thresholds, so an organisation picks how much review work it
trades for recall per client, knowingly.

Figures from `python -m tests.bench.accuracy /work/photos`, run 2026-11-22 (55 real photos,
33 kinds of re-upload each, 1,182,944 unrelated pairs; the table "Matching profiles" of that
run). Recall is the lowest and the mean share found over the 21 mild and the 12 hard kinds of
re-upload; margins are the closest unrelated pair's PDQ distance minus `pdq`, its pHash+dHash
slack (max(pHash - phash, dHash - dhash), with the region thresholds for a region's pair; it
matches at <= 0), and the closest unrelated pair with a flat picture's PDQ minus `flat_pdq`:

    profile   pdq  pHash+dHash  regions  flat  mild min/mean  hard min/mean  false  PDQ  slack  flat
    strict     26         10+5      6+3     6    97.9%/99.8%    91.7%/98.1%      0  +14     +3   +26
    standard   31         12+6      8+4     8   100.0%/100.0%   93.8%/98.8%      0   +9     +2   +24
    loose      36         12+6      9+5    10   100.0%/100.0%   93.8%/98.8%      0   +4     +1   +22

"loose" widens PDQ and the region pairs only: at whole-picture pHash+dHash 14+8 an earlier run
made 10 false matches (slack margin -1). Region pairs at 12+6 made 5 false matches, 10+5 one,
9+5 none (region pairs count only with an informative dHash: `matching.MIN_REGION_DHASH_BITS`).
A flat picture's PDQ moved by 0-10 bits under re-encoding and stickers in that run; `flat_pdq`
stays well under the flat margin so that a looser profile does not let near-blank pictures in.
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
    flat_pdq: int


PROFILES: Final[dict[str, Thresholds]] = {
    "strict": Thresholds(pdq=26, phash=10, dhash=5, region_phash=6, region_dhash=3, flat_pdq=6),
    "standard": Thresholds(pdq=31, phash=12, dhash=6, region_phash=8, region_dhash=4, flat_pdq=8),
    "loose": Thresholds(pdq=36, phash=12, dhash=6, region_phash=9, region_dhash=5, flat_pdq=10),
}
DEFAULT_PROFILE: Final[ProfileName] = "standard"
