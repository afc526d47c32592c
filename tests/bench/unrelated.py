"""Distances between every candidate and every enrolled item, computed as whole matrices.

Candidate and enrolled hashes become arrays of 64-bit words; distances are XOR + popcount over
blocks of candidate rows against all enrolled rows at once, then reduced to the closest pair
per (candidate, item). Our matcher's rule is applied to those matrices exactly as `MatchIndex`
applies it (the benchmark checks that both agree on every re-upload); the plain baselines get
one hash per picture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.fingerprint import Hash, MatchSettings
from monitor.fingerprint.hashes import WHOLE_VARIANTS, is_flat
from monitor.fingerprint.matching import informative_dhash
from monitor.fingerprint.regions import HALF_VARIANTS, REGION_VARIANTS
from tests.bench.baselines import PlainHashes

# Rows of candidate hashes compared at once: 32 rows x ~60,000 enrolled rows x 4 words.
BLOCK_ROWS = 32
FAR = np.int16(999)

Distance = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class PairDistances:
    """Closest distances per (candidate, item): shape (candidates, items), FAR where none."""

    ours_pdq: np.ndarray  # bits, our PDQ hashes (any orientation or variant), flat ones apart
    ours_flat_pdq: np.ndarray  # bits, pairs of PDQs of which one is a flat picture's ("flat-")
    ours_slack: (
        np.ndarray
    )  # max(pHash - T_phash, dHash - T_dhash) of the closest pair; <= 0 matches
    plain_pdq: np.ndarray
    plain_phash: np.ndarray

    def ours_match(self, settings: MatchSettings) -> np.ndarray:
        matched: np.ndarray = (
            (self.ours_pdq <= settings.pdq)
            | (self.ours_flat_pdq <= settings.flat_pdq)
            | (self.ours_slack <= 0)
        )
        return matched


def pair_distances(
    candidates: Sequence[tuple[Sequence[Hash], PlainHashes]],
    enrolled: Sequence[tuple[Sequence[Hash], PlainHashes]],
    *,
    settings: MatchSettings,
) -> PairDistances:
    shape = (len(candidates), len(enrolled))
    ours_candidates = [ours for ours, _plain in candidates]
    ours_enrolled = [ours for ours, _plain in enrolled]
    plain_cand = [plain for _ours, plain in candidates]
    plain_items = [plain for _ours, plain in enrolled]
    everyone = np.arange(len(candidates))
    every_item = np.arange(len(enrolled))
    return PairDistances(
        ours_pdq=_closest(
            _pdq_rows(ours_candidates, _sure),
            _pdq_rows(ours_enrolled, _sure),
            shape,
            distance=_bits,
        ),
        ours_flat_pdq=flat_pdq_distances(ours_candidates, ours_enrolled),
        ours_slack=pair_slack(
            [ours for ours, _plain in candidates],
            [ours for ours, _plain in enrolled],
            settings=settings,
        ),
        plain_pdq=_closest(
            (_plain_pdq(plain_cand), everyone),
            (_plain_pdq(plain_items), every_item),
            shape,
            distance=_bits,
        ),
        plain_phash=_closest(
            (_plain_phash(plain_cand), everyone),
            (_plain_phash(plain_items), every_item),
            shape,
            distance=_bits,
        ),
    )


def flat_pdq_distances(
    candidates: Sequence[Sequence[Hash]], enrolled: Sequence[Sequence[Hash]]
) -> np.ndarray:
    """The closest pair of PDQs of which one is a flat picture's, per (candidate, item), as
    `MatchIndex` pairs them: a flat candidate PDQ against every enrolled PDQ but a whole
    picture's own, and every other candidate PDQ against the enrolled flat ones."""
    shape = (len(candidates), len(enrolled))
    flat_candidate = _closest(
        _pdq_rows(candidates, is_flat),
        _pdq_rows(enrolled, lambda item: is_flat(item) or item.variant not in WHOLE_VARIANTS),
        shape,
        distance=_bits,
    )
    flat_enrolled = _closest(
        _pdq_rows(candidates, _sure), _pdq_rows(enrolled, is_flat), shape, distance=_bits
    )
    closest: np.ndarray = np.minimum(flat_candidate, flat_enrolled)
    return closest


def _sure(item: Hash) -> bool:
    return not is_flat(item)


def pair_slack(
    candidates: Sequence[Sequence[Hash]],
    enrolled: Sequence[Sequence[Hash]],
    *,
    settings: MatchSettings,
) -> np.ndarray:
    """How far each (candidate, item) is from matching through pHash+dHash: the smallest of the
    slack against the item's whole-picture pairs (at `phash`/`dhash`), against its region pairs
    and of each half against the item's same half (at `region_phash`/`region_dhash`), as
    `MatchIndex` applies them; <= 0 matches."""
    shape = (len(candidates), len(enrolled))
    whole = (settings.phash, settings.dhash)
    region = (settings.region_phash, settings.region_dhash)
    not_half = _not_in(HALF_VARIANTS)
    kinds = [
        (not_half, _not_in(REGION_VARIANTS), whole, False),
        (not_half, lambda variant: variant in REGION_VARIANTS and not_half(variant), region, True),
    ]
    kinds += [(_only(half), _only(half), region, True) for half in HALF_VARIANTS]
    slacks = [
        _closest(
            _pair_rows(candidates, keep=candidate_keeps, informative_only=informative),
            _pair_rows(enrolled, keep=enrolled_keeps, informative_only=informative),
            shape,
            distance=_slack(*thresholds),
        )
        for candidate_keeps, enrolled_keeps, thresholds, informative in kinds
    ]
    closest: np.ndarray = np.minimum.reduce(slacks)
    return closest


def _not_in(variants: Sequence[str]) -> Callable[[str], bool]:
    return lambda variant: variant not in variants


def _only(variant: str) -> Callable[[str], bool]:
    return lambda other: other == variant


def _slack(phash_threshold: int, dhash_threshold: int) -> Distance:
    def slack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        phash = np.bitwise_count(a[:, None, 0] ^ b[None, :, 0]).astype(np.int16)
        dhash = np.bitwise_count(a[:, None, 1] ^ b[None, :, 1]).astype(np.int16)
        slacks: np.ndarray = np.maximum(phash - phash_threshold, dhash - dhash_threshold)
        return slacks

    return slack


def _bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Differing bits between every row of a and every row of b (rows of 64-bit words)."""
    counts: np.ndarray = np.bitwise_count(a[:, None, :] ^ b[None, :, :]).sum(axis=2, dtype=np.int16)
    return counts


def _closest(
    candidate: tuple[np.ndarray, np.ndarray],
    item: tuple[np.ndarray, np.ndarray],
    shape: tuple[int, int],
    *,
    distance: Distance,
) -> np.ndarray:
    """The smallest distance per (candidate, item) over their rows; rows are grouped by owner."""
    rows, owners = candidate
    item_rows, item_owners = item
    out = np.full(shape, FAR, dtype=np.int16)
    if len(rows) == 0 or len(item_rows) == 0:
        return out
    item_starts = _group_starts(item_owners)
    item_ids = item_owners[item_starts]
    for start in range(0, len(rows), BLOCK_ROWS):
        block_owners = owners[start : start + BLOCK_ROWS]
        per_item = np.minimum.reduceat(
            distance(rows[start : start + BLOCK_ROWS], item_rows), item_starts, axis=1
        )
        starts = _group_starts(block_owners)
        per_candidate = np.minimum.reduceat(per_item, starts, axis=0)
        cells = np.ix_(block_owners[starts], item_ids)
        # A candidate whose rows straddle two blocks keeps the smaller of both.
        out[cells] = np.minimum(out[cells], per_candidate)
    return out


def _group_starts(owners: np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])


def _pdq_rows(
    pictures: Sequence[Sequence[Hash]], keep: Callable[[Hash], bool]
) -> tuple[np.ndarray, np.ndarray]:
    rows = [
        (owner, bytes.fromhex(h.hex))
        for owner, hashes in enumerate(pictures)
        for h in hashes
        if h.algorithm == "pdq" and keep(h)
    ]
    return _stack(rows, words=4)


def _pair_rows(
    pictures: Sequence[Sequence[Hash]],
    *,
    keep: Callable[[str], bool],
    informative_only: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(pHash, dHash) of the same variant, as MatchIndex pairs them, of the variants `keep`
    accepts; with `informative_only`, only pairs whose dHash is informative
    (`informative_dhash`), as for region pairs."""
    rows = []
    for owner, hashes in enumerate(pictures):
        phashes: dict[str, list[str]] = {}
        for h in hashes:
            if not keep(h.variant):
                continue
            if h.algorithm == "phash":
                phashes.setdefault(h.variant, []).append(h.hex)
        for h in hashes:
            if h.algorithm == "dhash":
                if informative_only and not informative_dhash(h.hex):
                    continue
                rows += [
                    (owner, bytes.fromhex(p) + bytes.fromhex(h.hex))
                    for p in phashes.get(h.variant, [])
                ]
    return _stack(rows, words=2)


def _stack(rows: list[tuple[int, bytes]], *, words: int) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.zeros((0, words), dtype=np.uint64), np.zeros(0, dtype=np.int64)
    owners = np.array([owner for owner, _ in rows], dtype=np.int64)
    values = np.frombuffer(b"".join(value for _, value in rows), dtype=">u8")
    return values.astype(np.uint64).reshape(len(rows), words), owners


def _plain_pdq(hashes: Sequence[PlainHashes]) -> np.ndarray:
    return np.frombuffer(b"".join(h.pdq for h in hashes), dtype=np.uint64).reshape(-1, 4)


def _plain_phash(hashes: Sequence[PlainHashes]) -> np.ndarray:
    return np.array([[h.phash] for h in hashes], dtype=np.uint64)
