"""An in-memory index over every client's enrolled hashes, and the rule for what counts as a match.

A candidate matches an enrolled item when
  * its PDQ is within `pdq` bits of any of the item's PDQ hashes (any orientation), or
  * one of the two PDQs is a flat picture's ("flat-..." variants: quality below the floor) and
    they are within `flat_pdq` bits; an enrolled whole picture's own PDQ, kept at any quality,
    is not compared with a flat candidate PDQ (two near-blank pictures' PDQs are alike); or
  * its pHash is within `phash` bits AND its dHash within `dhash` bits of the same orientation of
    the item: either 64-bit hash alone false-matches unrelated pictures, together they don't; or
  * its pHash and dHash are within `region_phash` / `region_dhash` of the same large region of
    the item (tighter: an item has about a hundred regions and 16 whole-picture pairs), and
    neither dHash is near-constant (`informative_dhash`); or
  * the pHash and dHash of one of its halves are within `region_phash` / `region_dhash` of the
    same half of the item ("half-l" of one against "half-l" of the other only), neither dHash
    near-constant: where an overlay covers the rest, and the picture is too flat for PDQ.
Look-ups are exact range searches in `HammingIndex` (one for PDQ, one pHash index per kind of
pair); the dHash of each pHash hit is then checked with numpy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.fingerprint.hamming_index import HammingIndex, Neighbours, codes_from_hex
from monitor.fingerprint.hamming_index import popcount as _popcount
from monitor.fingerprint.hashes import WHOLE_VARIANTS, Hash, is_flat
from monitor.fingerprint.profiles import DEFAULT_PROFILE, PROFILES, ProfileName
from monitor.fingerprint.regions import HALF_VARIANTS, REGION_VARIANTS

PDQ_MATCH = "pdq"
PHASH_DHASH_MATCH = "phash+dhash"

# A dHash with fewer than this many bits of its rarer value (of 64) says little: the picture's
# brightness runs the same way along nearly every row (a flat fill, a sky, a smooth gradient),
# and such dHashes, with the pHash beside them, agree by chance. A region's pHash+dHash pair
# counts only when both dHashes, the stored one and the candidate's, have at least this many of
# each bit. Measured (`python -m tests.bench.accuracy`): a near-blank white candidate with one
# line of text came within 2+4 bits of a flat teal region of an unrelated picture, both dHashes
# with 6-7 set bits.
MIN_REGION_DHASH_BITS: Final = 8


def _threshold(name: str, *, most: int, description: str) -> Any:
    """A threshold field whose default is the default profile's value of `name`."""
    return Field(
        default=getattr(PROFILES[DEFAULT_PROFILE], name),
        ge=0,
        le=most,
        description=f"{description} Default from the profile.",
    )


class MatchSettings(BaseModel):
    """The [matching] section of the config: a profile and the largest Hamming distances that
    still match.

    `profile` ("strict", "standard", "loose"; see `monitor.fingerprint.profiles` for what each
    measured) sets `pdq`, `phash` and `dhash`; a threshold given explicitly overrides the
    profile's. A client can pick another profile (`matching` in its [[clients]] entry).
    The match rule: a candidate matches an item when any PDQ of the candidate (the whole image,
    or a rectangle inside it) is within `pdq` bits of any PDQ of the item (any orientation, the
    whole picture or one of its large regions), or the candidate's pHash AND dHash are within
    `phash` / `dhash` of the same orientation of the whole item, or within `region_phash` /
    `region_dhash` of the same large region of it (a candidate's half: of the same half of the
    item). A flat picture's PDQ ("flat-..." variants) matches only within `flat_pdq` bits.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: ProfileName = Field(
        default=DEFAULT_PROFILE,
        description=(
            'Strictness: "strict" (fewer matches to review, misses more altered copies), '
            '"standard" or "loose" (finds more heavily edited copies, more to review).'
        ),
    )
    pdq: int = _threshold(
        "pdq",
        most=128,
        description="Max differing bits (of 256) between PDQ hashes. Lower it if unrelated "
        "images match, raise it to catch heavier edits.",
    )
    phash: int = _threshold(
        "phash",
        most=32,
        description="Max differing bits (of 64) between pHashes. A pHash match counts only "
        "when the dHash of the same orientation is within `dhash` too.",
    )
    dhash: int = _threshold(
        "dhash",
        most=32,
        description="Max differing bits (of 64) between dHashes, in the orientation pHash matched.",
    )
    region_phash: int = _threshold(
        "region_phash",
        most=32,
        description="Max differing bits between a candidate's pHash and the pHash of one of an "
        "enrolled picture's large regions (crops, strips, tilts).",
    )
    region_dhash: int = _threshold(
        "region_dhash",
        most=32,
        description="Max differing dHash bits for a region's pHash match.",
    )
    flat_pdq: int = _threshold(
        "flat_pdq",
        most=128,
        description="Max differing PDQ bits when one of the two is a flat picture's (a PDQ "
        'quality under the floor, variants named "flat-...").',
    )

    @model_validator(mode="before")
    @classmethod
    def _thresholds_from_profile(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        thresholds = PROFILES.get(data.get("profile", DEFAULT_PROFILE))
        if thresholds is None:
            return data  # the Literal check names the profiles
        filled = dict(data)
        for field in dataclasses.fields(thresholds):
            filled.setdefault(field.name, getattr(thresholds, field.name))
        return filled

    @classmethod
    def for_profile(cls, profile: ProfileName) -> MatchSettings:
        """The settings of a named profile, with its own thresholds."""
        return cls(profile=profile)


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
        pdq_rows: list[str] = []
        pdq_owner: list[int] = []
        flat_rows: list[str] = []
        flat_owner: list[int] = []
        small: dict[tuple[int, str], dict[str, list[str]]] = {}
        count = 0
        for entry in entries:
            count += 1
            key = (entry.client_id, entry.item_id)
            number = item_numbers.setdefault(key, len(self._items))
            if number == len(self._items):
                self._items.append(key)
            if entry.hash.algorithm == "pdq" and is_flat(entry.hash):
                flat_rows.append(entry.hash.hex)
                flat_owner.append(_pdq_id(number, whole=False))
            elif entry.hash.algorithm == "pdq":
                pdq_rows.append(entry.hash.hex)
                pdq_owner.append(_pdq_id(number, whole=entry.hash.variant in WHOLE_VARIANTS))
            else:
                slot = small.setdefault((number, entry.hash.variant), {"phash": [], "dhash": []})
                slot[entry.hash.algorithm].append(entry.hash.hex)
        self._count = count
        # PDQ codes are stored under their item's number (`_pdq_id`), flat pictures' apart.
        self._pdq = HammingIndex(bits=256)
        self._pdq.add(codes_from_hex(pdq_rows, bits=256), pdq_owner)
        self._flat_pdq = HammingIndex(bits=256)
        self._flat_pdq.add(codes_from_hex(flat_rows, bits=256), flat_owner)
        whole = {key: pair for key, pair in small.items() if key[1] not in REGION_VARIANTS}
        regions = {
            key: pair
            for key, pair in small.items()
            if key[1] in REGION_VARIANTS and key[1] not in HALF_VARIANTS
        }
        self._pair_sets = (
            _PairSet(whole, phash=settings.phash, dhash=settings.dhash),
            _PairSet(
                regions,
                phash=settings.region_phash,
                dhash=settings.region_dhash,
                informative_only=True,
            ),
        )
        # A half is held against the same half only: against every region and whole picture,
        # halves of letterboxed or near-blank candidates (a bar's edge, a plain sky) matched
        # unrelated regions with the same edge in the accuracy benchmark.
        self._half_pair_sets = {
            half: _PairSet(
                {key: pair for key, pair in small.items() if key[1] == half},
                phash=settings.region_phash,
                dhash=settings.region_dhash,
                informative_only=True,
            )
            for half in HALF_VARIANTS
        }

    def __len__(self) -> int:
        """Number of enrolled hashes in the index."""
        return self._count

    def match(self, candidate: Sequence[Hash]) -> list[Match]:
        """Every item the candidate matches, once each with its best evidence, closest first.

        A PDQ match is preferred over a pHash+dHash match of the same item (256 bits say more
        than 64); within one algorithm the smallest distance wins.
        """
        best: dict[int, _Rank] = {}  # item number -> its best evidence so far
        for number, distance in self._pdq_hits(candidate):
            _keep_best(best, number, (0, distance, 0))
        pairs = _candidate_pairs(candidate)
        whole_and_parts = [
            pair
            for variant, found in pairs.items()
            if variant not in HALF_VARIANTS
            for pair in found
        ]
        searches = [(pair_set, whole_and_parts) for pair_set in self._pair_sets]
        searches += [(self._half_pair_sets[half], pairs.get(half, [])) for half in HALF_VARIANTS]
        for pair_set, queries in searches:
            if queries:
                for number, rank in pair_set.search(queries):
                    _keep_best(best, number, rank)
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

    def _pdq_hits(self, candidate: Sequence[Hash]) -> list[tuple[int, int]]:
        """(item number, distance) of every enrolled PDQ the candidate's PDQs match."""
        sure = [h.hex for h in candidate if h.algorithm == "pdq" and not is_flat(h)]
        flat = [h.hex for h in candidate if h.algorithm == "pdq" and is_flat(h)]
        radius, flat_radius = self._settings.pdq, self._settings.flat_pdq
        hits: list[tuple[int, int]] = []
        if sure:
            queries = codes_from_hex(sure, bits=256)
            hits += _hits(self._pdq.search(queries, radius=radius), whole_too=True)
            hits += _hits(self._flat_pdq.search(queries, radius=flat_radius), whole_too=True)
        if flat:
            queries = codes_from_hex(flat, bits=256)
            hits += _hits(self._pdq.search(queries, radius=flat_radius), whole_too=False)
            hits += _hits(self._flat_pdq.search(queries, radius=flat_radius), whole_too=True)
        return hits


def _pdq_id(number: int, *, whole: bool) -> int:
    """A PDQ's id in the index: its item's number, and in the lowest bit whether it is a whole
    enrolled picture's own PDQ (kept at any quality, so not compared with flat PDQs)."""
    return number * 2 + int(whole)


def _hits(found_by_query: list[Neighbours], *, whole_too: bool) -> list[tuple[int, int]]:
    """(item number, distance) of the PDQ ids found; without `whole_too`, whole enrolled
    pictures' own PDQs are left out. Ids of the flat index are item numbers times two too."""
    hits = []
    for found in found_by_query:
        for code, distance in zip(found.ids.tolist(), found.distances.tolist(), strict=True):
            if whole_too or not code & 1:
                hits.append((code >> 1, distance))
    return hits


class _PairSet:
    """pHash/dHash pairs of one kind (whole pictures, large regions, or one half) and their
    thresholds: pHashes in a `HammingIndex` under their pair's row, each hit confirmed by its
    dHash. `informative_only` leaves out pairs, stored or searched, whose dHash says little
    (`informative_dhash`)."""

    def __init__(
        self,
        small: dict[tuple[int, str], dict[str, list[str]]],
        *,
        phash: int,
        dhash: int,
        informative_only: bool = False,
    ) -> None:
        self._phash_radius, self._dhash_radius = phash, dhash
        self._informative_only = informative_only
        pair_phash, pair_dhash, pair_owner = _pairs(small, informative_only=informative_only)
        self._phash = HammingIndex(bits=64)
        self._phash.add(codes_from_hex(pair_phash, bits=64), np.arange(len(pair_phash)))
        self._dhash = np.asarray([int(dhash, 16) for dhash in pair_dhash], dtype=np.uint64)
        self._owner = np.asarray(pair_owner, dtype=np.int64)

    def search(self, pairs: list[tuple[str, str]]) -> list[tuple[int, _Rank]]:
        """(item number, rank) of every stored pair within both radii of a candidate pair."""
        if self._informative_only:
            pairs = [(phash, dhash) for phash, dhash in pairs if informative_dhash(dhash)]
        if not len(self._owner) or not pairs:
            return []
        hits: list[tuple[int, _Rank]] = []
        queries = codes_from_hex([phash for phash, _dhash in pairs], bits=64)
        found_by_pair = self._phash.search(queries, radius=self._phash_radius)
        for (_phash, dhash), found in zip(pairs, found_by_pair, strict=True):
            dhash_distances = _popcount(self._dhash[found.ids] ^ np.uint64(int(dhash, 16)))
            confirmed = dhash_distances <= self._dhash_radius
            for row, phash_distance, dhash_distance in zip(
                found.ids[confirmed].tolist(),
                found.distances[confirmed].tolist(),
                dhash_distances[confirmed].tolist(),
                strict=True,
            ):
                hits.append((int(self._owner[row]), (1, phash_distance, dhash_distance)))
        return hits


def informative_dhash(dhash_hex: str) -> bool:
    """True when a dHash has at least `MIN_REGION_DHASH_BITS` bits of each value."""
    ones = int(dhash_hex, 16).bit_count()
    return min(ones, 64 - ones) >= MIN_REGION_DHASH_BITS


def _keep_best(best: dict[int, _Rank], number: int, rank: _Rank) -> None:
    if number not in best or rank < best[number]:
        best[number] = rank


def _pairs(
    small: dict[tuple[int, str], dict[str, list[str]]], *, informative_only: bool
) -> tuple[list[str], list[str], list[int]]:
    """pHash/dHash pairs of the same item and orientation (normally exactly one of each)."""
    phashes: list[str] = []
    dhashes: list[str] = []
    owners: list[int] = []
    for (number, _variant), found in small.items():
        for phash in found["phash"]:
            for dhash in found["dhash"]:
                if informative_only and not informative_dhash(dhash):
                    continue
                phashes.append(phash)
                dhashes.append(dhash)
                owners.append(number)
    return phashes, dhashes, owners


def _candidate_pairs(candidate: Sequence[Hash]) -> dict[str, list[tuple[str, str]]]:
    """(pHash hex, dHash hex) pairs of the candidate, by variant."""
    by_variant: dict[str, dict[str, list[str]]] = {}
    for item in candidate:
        if item.algorithm in ("phash", "dhash"):
            slot = by_variant.setdefault(item.variant, {"phash": [], "dhash": []})
            slot[item.algorithm].append(item.hex)
    return {
        variant: [(phash, dhash) for phash in found["phash"] for dhash in found["dhash"]]
        for variant, found in by_variant.items()
    }
