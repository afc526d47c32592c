"""An in-memory index over every client's enrolled hashes, and the rule for what counts as a match.

A candidate matches an enrolled item when
  * its PDQ is within `pdq` bits of any of the item's PDQ hashes (any orientation), or
  * its pHash is within `phash` bits AND its dHash within `dhash` bits of the same orientation of
    the item: either 64-bit hash alone false-matches unrelated pictures, together they don't.
Distances are computed for all entries at once with numpy (XOR + popcount), not entry by entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from monitor.fingerprint.hashes import Hash

PDQ_MATCH = "pdq"
PHASH_DHASH_MATCH = "phash+dhash"


class MatchSettings(BaseModel):
    """The [matching] section of the config: the largest Hamming distance that still matches.

    Defaults measured with `python -m tests.bench.fingerprint_speed PHOTOS_DIR` on 55 photos
    (48 not blank), 8 kinds of re-upload each and 36,809 unrelated (image, photo) pairs: PDQ
    re-uploads came within 28 bits, unrelated images no closer than 84. pHash+dHash is the
    fallback for pictures PDQ finds too flat; the re-uploads it had to catch were within
    pHash 10 / dHash 7, and no unrelated pair had both pHash <= 12 and dHash <= 11.
    `python -m tests.bench.accuracy PHOTOS_DIR` (1,182,944 unrelated pairs, tiles and decoy
    windows of the same photos): no false match through PDQ, 4 through pHash+dHash, all tiles of
    flat two-tone graphics against a window of another one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    pdq: int = Field(
        default=31,
        ge=0,
        le=128,
        description=(
            "Max differing bits (of 256) between PDQ hashes. 31 is the ThreatExchange default; "
            "lower it if unrelated images match, raise it to catch heavier edits."
        ),
    )
    phash: int = Field(
        default=12,
        ge=0,
        le=32,
        description=(
            "Max differing bits (of 64) between pHashes. A pHash match counts only when the "
            "dHash of the same orientation is within `dhash` too."
        ),
    )
    dhash: int = Field(
        default=9,
        ge=0,
        le=32,
        description="Max differing bits (of 64) between dHashes, in the orientation pHash matched.",
    )


@dataclass(frozen=True)
class IndexEntry:
    client_id: str
    item_id: int
    hash: Hash


@dataclass(frozen=True)
class Match:
    """One enrolled item a candidate matched; `algorithm` is "pdq" or "phash+dhash"."""

    client_id: str
    item_id: int
    algorithm: str
    distance: int


_Item = tuple[str, int]  # (client_id, item_id)
_Rank = tuple[int, int, int]  # (0 for PDQ or 1 for pHash+dHash, distance, dHash distance)


class MatchIndex:
    """All enrolled hashes, ready to compare against a candidate's hashes."""

    def __init__(self, entries: Iterable[IndexEntry], *, settings: MatchSettings) -> None:
        self._settings = settings
        self._items: list[_Item] = []
        item_numbers: dict[_Item, int] = {}
        pdq_rows: list[bytes] = []
        pdq_owner: list[int] = []
        small: dict[tuple[int, str], dict[str, list[int]]] = {}
        count = 0
        for entry in entries:
            count += 1
            key = (entry.client_id, entry.item_id)
            number = item_numbers.setdefault(key, len(self._items))
            if number == len(self._items):
                self._items.append(key)
            if entry.hash.algorithm == "pdq":
                pdq_rows.append(bytes.fromhex(entry.hash.hex))
                pdq_owner.append(number)
            else:
                slot = small.setdefault((number, entry.hash.variant), {"phash": [], "dhash": []})
                slot[entry.hash.algorithm].append(int(entry.hash.hex, 16))
        self._count = count
        self._pdq = _words(pdq_rows, width=4)
        self._pdq_owner = np.asarray(pdq_owner, dtype=np.int64)
        pair_phash, pair_dhash, pair_owner = _pairs(small)
        self._phash = np.asarray(pair_phash, dtype=np.uint64)
        self._dhash = np.asarray(pair_dhash, dtype=np.uint64)
        self._pair_owner = np.asarray(pair_owner, dtype=np.int64)

    def __len__(self) -> int:
        """Number of enrolled hashes in the index."""
        return self._count

    def match(self, candidate: Sequence[Hash]) -> list[Match]:
        """Every item the candidate matches, once each with its best evidence, closest first.

        A PDQ match is preferred over a pHash+dHash match of the same item (256 bits say more
        than 64); within one algorithm the smallest distance wins.
        """
        best: dict[int, _Rank] = {}  # item number -> its best evidence so far
        for pdq in (h for h in candidate if h.algorithm == "pdq"):
            distances = _popcount(self._pdq ^ _words([bytes.fromhex(pdq.hex)], width=4)).sum(1)
            for row in np.flatnonzero(distances <= self._settings.pdq):
                _keep_best(best, int(self._pdq_owner[row]), (0, int(distances[row]), 0))
        for phash, dhash in _candidate_pairs(candidate):
            phash_distances = _popcount(self._phash ^ np.uint64(phash))
            dhash_distances = _popcount(self._dhash ^ np.uint64(dhash))
            hits = (phash_distances <= self._settings.phash) & (
                dhash_distances <= self._settings.dhash
            )
            for row in np.flatnonzero(hits):
                rank = (1, int(phash_distances[row]), int(dhash_distances[row]))
                _keep_best(best, int(self._pair_owner[row]), rank)
        matches = [
            Match(
                client_id=self._items[number][0],
                item_id=self._items[number][1],
                algorithm=PDQ_MATCH if rank[0] == 0 else PHASH_DHASH_MATCH,
                distance=rank[1],
            )
            for number, rank in sorted(best.items(), key=lambda pair: (pair[1], pair[0]))
        ]
        return matches


def _keep_best(best: dict[int, _Rank], number: int, rank: _Rank) -> None:
    if number not in best or rank < best[number]:
        best[number] = rank


def _pairs(
    small: dict[tuple[int, str], dict[str, list[int]]],
) -> tuple[list[int], list[int], list[int]]:
    """pHash/dHash pairs of the same item and orientation (normally exactly one of each)."""
    phashes: list[int] = []
    dhashes: list[int] = []
    owners: list[int] = []
    for (number, _variant), found in small.items():
        for phash in found["phash"]:
            for dhash in found["dhash"]:
                phashes.append(phash)
                dhashes.append(dhash)
                owners.append(number)
    return phashes, dhashes, owners


def _candidate_pairs(candidate: Sequence[Hash]) -> list[tuple[int, int]]:
    by_variant: dict[str, dict[str, list[int]]] = {}
    for item in candidate:
        if item.algorithm in ("phash", "dhash"):
            slot = by_variant.setdefault(item.variant, {"phash": [], "dhash": []})
            slot[item.algorithm].append(int(item.hex, 16))
    return [
        (phash, dhash)
        for found in by_variant.values()
        for phash in found["phash"]
        for dhash in found["dhash"]
    ]


def _words(rows: list[bytes], *, width: int) -> np.ndarray:
    """Hashes as rows of 64-bit words, for XOR and popcount."""
    if not rows:
        return np.zeros((0, width), dtype=np.uint64)
    return np.frombuffer(b"".join(rows), dtype=np.uint64).reshape(len(rows), width)


_BYTE_BITS = np.array([bin(value).count("1") for value in range(256)], dtype=np.int64)


def _popcount_by_table(words: np.ndarray) -> np.ndarray:
    """Set bits of each uint64, by a byte lookup table (numpy < 2 has no bitwise_count)."""
    as_bytes = np.ascontiguousarray(words).view(np.uint8).reshape(*words.shape, 8)
    counts: np.ndarray = _BYTE_BITS[as_bytes].sum(axis=-1)
    return counts


def _popcount_native(words: np.ndarray) -> np.ndarray:
    counts: np.ndarray = np.bitwise_count(words).astype(np.int64)
    return counts


_popcount = _popcount_native if hasattr(np, "bitwise_count") else _popcount_by_table
