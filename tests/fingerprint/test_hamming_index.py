from __future__ import annotations

import numpy as np
import pytest

from monitor.fingerprint.hamming_index import (
    HammingIndex,
    codes_from_hex,
    popcount_by_table,
    popcount_native,
)


def random_codes(rng: np.random.Generator, count: int, bits: int) -> np.ndarray:
    return rng.integers(0, 256, size=(count, bits // 8), dtype=np.uint8)


def flipped(code: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """`code` with `count` distinct bits flipped."""
    bits = np.unpackbits(code)
    positions = rng.choice(len(bits), size=count, replace=False)
    bits[positions] ^= 1
    return np.packbits(bits)


def scan(stored: np.ndarray, ids: np.ndarray, query: np.ndarray, radius: int) -> list[tuple]:
    """The plain answer: (distance, id) of every stored code within the radius, bit by bit."""
    distances = (np.unpackbits(stored, axis=1) != np.unpackbits(query)).sum(axis=1)
    rows = np.flatnonzero(distances <= radius)
    return sorted(zip(distances[rows].tolist(), ids[rows].tolist(), strict=True))


def answer(index: HammingIndex, queries: np.ndarray, radius: int) -> list[list[tuple]]:
    return [
        list(zip(found.distances.tolist(), found.ids.tolist(), strict=True))
        for found in index.search(queries, radius=radius)
    ]


@pytest.fixture(scope="module", params=[256, 64], ids=["pdq-256", "phash-64"])
def planted(
    request: pytest.FixtureRequest,
) -> tuple[HammingIndex, np.ndarray, np.ndarray, np.ndarray]:
    """Random codes with near copies of some of them at 0-40 bits, and queries near stored ones."""
    bits: int = request.param
    rng = np.random.default_rng(bits)
    stored = random_codes(rng, 3000, bits)
    near = np.array(
        [
            flipped(stored[row], int(rng.integers(0, 41)) % (bits // 2), rng)
            for row in range(0, 3000, 10)
        ]
    )
    stored = np.vstack([stored, near])
    ids = rng.integers(0, 400, size=len(stored))  # shared ids: several codes per item
    index = HammingIndex(bits=bits)
    index.add(stored[:1000], ids[:1000])
    index.add(stored[1000:], ids[1000:])
    queries = [
        flipped(stored[row], int(rng.integers(0, bits // 4)), rng)
        for row in rng.choice(len(stored), 40)
    ]
    queries += list(random_codes(rng, 10, bits))
    return index, stored, ids, np.array(queries)


RADII = {
    256: (0, 1, 12, 31, 32, 50, 64, 100, 128, 129, 200, 256),
    64: (0, 1, 9, 12, 16, 20, 32, 64),
}


def test_search_equals_a_plain_scan_at_every_radius(
    planted: tuple[HammingIndex, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    index, stored, ids, queries = planted
    stored_bits = np.unpackbits(stored, axis=1)
    distances = [(stored_bits != np.unpackbits(query)).sum(axis=1) for query in queries]
    found_any = 0
    for radius in RADII[index.bits]:
        got = answer(index, queries, radius)
        for to_query, neighbours in zip(distances, got, strict=True):
            rows = np.flatnonzero(to_query <= radius)
            expected = sorted(zip(to_query[rows].tolist(), ids[rows].tolist(), strict=True))
            assert neighbours == expected, radius
            found_any += bool(neighbours)
    assert found_any > 100  # the planted copies are found, not only the empty answers agree


def test_one_query_at_a_time_gives_the_same_answers(
    planted: tuple[HammingIndex, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    index, _stored, _ids, queries = planted
    radius = 31 if index.bits == 256 else 12
    together = answer(index, queries, radius)
    alone = [answer(index, query[None, :], radius)[0] for query in queries]
    assert together == alone


def test_the_radius_is_inclusive() -> None:
    rng = np.random.default_rng(1)
    code = random_codes(rng, 1, 256)[0]
    index = HammingIndex(bits=256)
    index.add(np.array([flipped(code, 31, rng)]), [7])
    assert answer(index, code[None, :], 31) == [[(31, 7)]]
    assert answer(index, code[None, :], 30) == [[]]


def test_a_difference_only_in_the_tail_counts() -> None:
    code = np.zeros(32, dtype=np.uint8)
    far_in_tail = code.copy()
    far_in_tail[16:] = 0xFF  # 128 bits apart, all after the first 128
    index = HammingIndex(bits=256)
    index.add(np.array([code, far_in_tail]), [1, 2])
    assert answer(index, code[None, :], 31) == [[(0, 1)]]
    assert answer(index, code[None, :], 128) == [[(0, 1), (128, 2)]]


def test_empty_index_and_no_queries() -> None:
    index = HammingIndex(bits=256)
    assert len(index) == 0
    assert index.nbytes == 0
    query = np.zeros((2, 32), dtype=np.uint8)
    assert [len(found) for found in index.search(query, radius=256)] == [0, 0]
    index.add(np.zeros((0, 32), dtype=np.uint8), [])
    assert len(index) == 0
    index.add(query[:1], [5])
    assert index.search(np.zeros((0, 32), dtype=np.uint8), radius=31) == []


def test_memory_is_the_codes_and_their_ids() -> None:
    rng = np.random.default_rng(2)
    index = HammingIndex(bits=256)
    index.add(random_codes(rng, 1000, 256), np.arange(1000))
    assert index.nbytes == 1000 * (32 + 8)
    small = HammingIndex(bits=64)
    small.add(random_codes(rng, 1000, 64), np.arange(1000))
    assert small.nbytes == 1000 * (8 + 8)


def test_removed_ids_are_no_longer_found_and_the_rest_still_are() -> None:
    rng = np.random.default_rng(3)
    stored = random_codes(rng, 500, 256)
    ids = np.arange(500) // 5  # 100 items of 5 codes
    index = HammingIndex(bits=256)
    index.add(stored, ids)
    assert index.remove([3, 50, 999]) == 10
    assert len(index) == 490
    assert index.remove([3]) == 0
    keep = ~np.isin(ids, [3, 50])
    for row in (15, 16, 250, 251, 0, 499):
        expected = scan(stored[keep], ids[keep], stored[row], 31)
        assert answer(index, stored[row][None, :], 31) == [expected]
    assert answer(index, stored[15][None, :], 0) == [[]]
    rebuilt = HammingIndex(bits=256)
    rebuilt.add(stored[keep], ids[keep])
    queries = stored[::7]
    assert answer(rebuilt, queries, 40) == answer(index, queries, 40)


@pytest.mark.parametrize(
    ("codes", "reason"),
    [
        (np.zeros((2, 31), dtype=np.uint8), "rows of 32 bytes"),
        (np.zeros((2, 33), dtype=np.uint8), "rows of 32 bytes"),
        (np.zeros(32, dtype=np.uint8), "rows of 32 bytes"),
        (np.zeros((2, 4), dtype=np.uint64), "rows of 32 bytes"),
        (np.zeros((2, 32), dtype=np.int8), "rows of 32 bytes"),
    ],
)
def test_codes_of_the_wrong_shape_or_type_are_refused(codes: np.ndarray, reason: str) -> None:
    index = HammingIndex(bits=256)
    with pytest.raises(ValueError, match=reason):
        index.add(codes, np.arange(len(codes)))
    index.add(np.zeros((1, 32), dtype=np.uint8), [1])
    with pytest.raises(ValueError, match=reason):
        index.search(codes, radius=31)


def test_bad_ids_radius_and_lengths_are_refused() -> None:
    index = HammingIndex(bits=64)
    codes = np.zeros((3, 8), dtype=np.uint8)
    with pytest.raises(ValueError, match="one id per code"):
        index.add(codes, [1, 2])
    with pytest.raises(ValueError, match="integers"):
        index.add(codes, [1.5, 2.0, 3.0])
    index.add(codes, [1, 2, 3])
    with pytest.raises(ValueError, match="0 or more"):
        index.search(codes, radius=-1)
    assert [len(found) for found in index.search(codes[:1], radius=10**12)] == [3]
    for bits in (0, -64, 100, 32):
        with pytest.raises(ValueError, match="multiple of 64"):
            HammingIndex(bits=bits)


def test_codes_from_hex_reads_hashes_and_refuses_malformed_ones() -> None:
    codes = codes_from_hex(["00ff" * 4, "0123456789abcdef"], bits=64)
    assert codes.shape == (2, 8)
    assert codes.dtype == np.uint8
    assert codes[0].tolist() == [0, 255] * 4
    assert codes_from_hex([], bits=256).shape == (0, 32)
    with pytest.raises(ValueError, match="16 hex characters"):
        codes_from_hex(["abc"], bits=64)
    with pytest.raises(ValueError, match="16 hex characters"):
        codes_from_hex(["0" * 64], bits=64)
    with pytest.raises(ValueError, match="must be hex"):
        codes_from_hex(["zz" * 8], bits=64)
    with pytest.raises(ValueError, match="must be hex"):
        codes_from_hex(["0 " * 8], bits=64)
    with pytest.raises(ValueError, match="must be hex"):
        codes_from_hex(["00 ff 00 ff 00 f"], bits=64)


def test_both_popcounts_agree() -> None:
    words = np.array([0, 1, 2**64 - 1, 0xF0F0F0F0F0F0F0F0, 12345678901234567890], dtype=np.uint64)
    expected = [0, 1, 64, 32, bin(12345678901234567890).count("1")]
    assert popcount_by_table(words).tolist() == expected
    if hasattr(np, "bitwise_count"):
        assert popcount_native(words).tolist() == expected
    grid = words.reshape(1, 5)
    assert popcount_by_table(grid).shape == (1, 5)
