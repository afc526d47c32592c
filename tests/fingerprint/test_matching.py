from __future__ import annotations

import random
import time

import numpy as np
import pytest
from pydantic import ValidationError

from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.matching import (
    IndexEntry,
    Match,
    MatchIndex,
    MatchSettings,
    _popcount_by_table,
    _popcount_native,
)

SETTINGS = MatchSettings()


def random_hex(rng: random.Random, bits: int) -> str:
    return format(rng.getrandbits(bits), f"0{bits // 4}x")


def flip_bits(hex_text: str, count: int, *, seed: int = 0) -> str:
    """The hash with `count` distinct bits flipped."""
    bits = len(hex_text) * 4
    value = int(hex_text, 16)
    for position in random.Random(seed).sample(range(bits), count):
        value ^= 1 << position
    return format(value, f"0{len(hex_text)}x")


def item_hashes(seed: int, variants: tuple[str, ...] = ("original",)) -> list[Hash]:
    rng = random.Random(seed)
    hashes = []
    for variant in variants:
        hashes.append(Hash("pdq", random_hex(rng, 256), variant))
        hashes.append(Hash("phash", random_hex(rng, 64), variant))
        hashes.append(Hash("dhash", random_hex(rng, 64), variant))
    return hashes


def entries(client_id: str, item_id: int, hashes: list[Hash]) -> list[IndexEntry]:
    return [IndexEntry(client_id, item_id, h) for h in hashes]


def of(hashes: list[Hash], algorithm: str, variant: str = "original") -> Hash:
    return next(h for h in hashes if h.algorithm == algorithm and h.variant == variant)


def test_default_settings_are_the_calibrated_ones() -> None:
    assert SETTINGS.pdq == 31
    assert (SETTINGS.phash, SETTINGS.dhash) == (12, 9)


def test_settings_validate_like_a_config_section() -> None:
    assert MatchSettings(pdq=20, phash=8, dhash=8).pdq == 20
    with pytest.raises(ValidationError):
        MatchSettings(pdq=-1)
    with pytest.raises(ValidationError):
        MatchSettings(pdq=300)
    with pytest.raises(ValidationError):
        MatchSettings(pqd=20)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        SETTINGS.pdq = 5  # type: ignore[misc]
    assert all(field.description for field in MatchSettings.model_fields.values())


def test_pdq_within_threshold_matches_and_one_past_does_not() -> None:
    enrolled = item_hashes(1)
    index = MatchIndex(entries("alice", 7, enrolled), settings=SETTINGS)
    pdq = of(enrolled, "pdq").hex
    at_limit = Hash("pdq", flip_bits(pdq, SETTINGS.pdq))
    assert index.match([at_limit]) == [Match("alice", 7, "pdq", SETTINGS.pdq)]
    assert index.match([Hash("pdq", flip_bits(pdq, SETTINGS.pdq + 1))]) == []


def test_pdq_matches_any_enrolled_orientation() -> None:
    enrolled = item_hashes(2, ("original", "rot90", "flip"))
    index = MatchIndex(entries("alice", 1, enrolled), settings=SETTINGS)
    mirrored = Hash("pdq", flip_bits(of(enrolled, "pdq", "flip").hex, 3))
    assert index.match([mirrored]) == [Match("alice", 1, "pdq", 3)]


def test_phash_needs_dhash_of_the_same_orientation() -> None:
    enrolled = item_hashes(3, ("original", "rot90"))
    index = MatchIndex(entries("alice", 1, enrolled), settings=SETTINGS)
    phash = Hash("phash", flip_bits(of(enrolled, "phash").hex, 4))
    dhash_same = Hash("dhash", flip_bits(of(enrolled, "dhash").hex, 5))
    dhash_other = Hash("dhash", of(enrolled, "dhash", "rot90").hex)
    far_dhash = Hash("dhash", flip_bits(of(enrolled, "dhash").hex, SETTINGS.dhash + 1))

    assert index.match([phash]) == []
    assert index.match([phash, far_dhash]) == []
    assert index.match([phash, dhash_other]) == []
    assert index.match([phash, dhash_same]) == [Match("alice", 1, "phash+dhash", 4)]


def test_pdq_evidence_wins_over_phash_dhash_for_the_same_item() -> None:
    enrolled = item_hashes(4)
    index = MatchIndex(entries("alice", 1, enrolled), settings=SETTINGS)
    candidate = [
        Hash("pdq", flip_bits(of(enrolled, "pdq").hex, 20)),
        Hash("phash", of(enrolled, "phash").hex),
        Hash("dhash", of(enrolled, "dhash").hex),
    ]
    assert index.match(candidate) == [Match("alice", 1, "pdq", 20)]


def test_one_match_per_item_the_closest() -> None:
    variants = ("original", "rot90", "rot180")
    enrolled = item_hashes(5, variants)
    # The candidate is 10 bits from "original" and 2 bits from a second copy of it.
    near_copy = Hash("pdq", flip_bits(of(enrolled, "pdq").hex, 8, seed=1), "rot180")
    index = MatchIndex(entries("alice", 1, [*enrolled, near_copy]), settings=SETTINGS)
    candidate = Hash("pdq", flip_bits(near_copy.hex, 2, seed=2))
    matches = index.match([candidate])
    assert len(matches) == 1
    assert matches[0].distance == 2


def test_clients_are_kept_apart_even_with_the_same_item_id() -> None:
    shared = item_hashes(6)
    index = MatchIndex(
        [*entries("alice", 1, shared), *entries("bob", 1, shared), *entries("carol", 2, shared)],
        settings=SETTINGS,
    )
    matches = index.match([of(shared, "pdq")])
    assert {(m.client_id, m.item_id) for m in matches} == {("alice", 1), ("bob", 1), ("carol", 2)}
    assert all(m.distance == 0 and m.algorithm == "pdq" for m in matches)


def test_matches_come_closest_first() -> None:
    base = item_hashes(7)
    pdq = of(base, "pdq").hex
    index = MatchIndex(
        [
            IndexEntry("a", 1, Hash("pdq", flip_bits(pdq, 25))),
            IndexEntry("a", 2, Hash("pdq", flip_bits(pdq, 5))),
            IndexEntry("a", 3, Hash("pdq", flip_bits(pdq, 15))),
        ],
        settings=SETTINGS,
    )
    assert [m.item_id for m in index.match([Hash("pdq", pdq)])] == [2, 3, 1]


def test_unrelated_hashes_do_not_match() -> None:
    index = MatchIndex(
        (e for seed in range(200) for e in entries("c", seed, item_hashes(seed))),
        settings=SETTINGS,
    )
    for seed in range(1000, 1050):
        assert index.match(item_hashes(seed)) == []


def test_empty_index_and_empty_candidate() -> None:
    empty = MatchIndex([], settings=SETTINGS)
    assert len(empty) == 0
    assert empty.match(item_hashes(8)) == []
    index = MatchIndex(entries("a", 1, item_hashes(8)), settings=SETTINGS)
    assert len(index) == 3
    assert index.match([]) == []


def test_pdq_only_items_from_imported_lists_still_match() -> None:
    pdq = of(item_hashes(9), "pdq")
    index = MatchIndex([IndexEntry("a", 1, pdq)], settings=SETTINGS)
    assert index.match([pdq, *item_hashes(10)[1:]]) == [Match("a", 1, "pdq", 0)]


def test_large_index_matches_fast() -> None:
    rng = random.Random(11)
    target = Hash("pdq", random_hex(rng, 256))
    many = [IndexEntry("c", n, Hash("pdq", random_hex(rng, 256))) for n in range(50_000)]
    many += [
        IndexEntry("c", n, Hash(kind, random_hex(rng, 64)))
        for n in range(25_000)
        for kind in ("phash", "dhash")
    ]
    many.append(IndexEntry("needle", 1, Hash("pdq", flip_bits(target.hex, 9))))
    index = MatchIndex(many, settings=SETTINGS)
    candidate = [target, Hash("phash", random_hex(rng, 64)), Hash("dhash", random_hex(rng, 64))]
    started = time.perf_counter()
    for _ in range(10):
        matches = index.match(candidate)
    assert (time.perf_counter() - started) / 10 < 0.05
    assert matches == [Match("needle", 1, "pdq", 9)]


def test_both_popcounts_agree() -> None:
    words = np.array([0, 1, 2**64 - 1, 0xF0F0F0F0F0F0F0F0, 12345678901234567890], dtype=np.uint64)
    expected = [0, 1, 64, 32, bin(12345678901234567890).count("1")]
    assert _popcount_by_table(words).tolist() == expected
    if hasattr(np, "bitwise_count"):
        assert _popcount_native(words).tolist() == expected
    grid = words.reshape(1, 5)
    assert _popcount_by_table(grid).shape == (1, 5)
