from __future__ import annotations

import pytest

from monitor.fingerprint.hashes import VARIANTS, WHOLE_VARIANTS, Hash, hamming

PDQ = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"


def test_valid_hashes_of_each_algorithm() -> None:
    assert Hash("pdq", PDQ).variant == "original"
    assert Hash("phash", "c7edb2888e41ccc7", "rot90").variant == "rot90"
    assert Hash("dhash", "0000000000000000", "trimmed-flip").hex == "0" * 16


@pytest.mark.parametrize(
    ("algorithm", "hex_text", "variant", "complaint"),
    [
        ("md5", PDQ, "original", "unknown hash algorithm"),
        ("pdq", PDQ[:-1], "original", "64 hex characters"),
        ("pdq", PDQ + "0", "original", "64 hex characters"),
        ("phash", PDQ, "original", "16 hex characters"),
        ("pdq", PDQ.upper(), "original", "lowercase hex"),
        ("pdq", "g" * 64, "original", "lowercase hex"),
        ("dhash", " " * 16, "original", "lowercase hex"),
        ("pdq", PDQ, "sideways", "unknown variant"),
        ("pdq", "", "original", "64 hex characters"),
    ],
)
def test_invalid_hashes_are_refused_with_the_reason(
    algorithm: str, hex_text: str, variant: str, complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        Hash(algorithm, hex_text, variant)


def test_hashes_are_frozen_and_comparable() -> None:
    first = Hash("pdq", PDQ)
    assert first == Hash("pdq", PDQ)
    assert len({first, Hash("pdq", PDQ)}) == 1
    with pytest.raises(AttributeError):
        first.hex = "0" * 64  # type: ignore[misc]


def test_variants_cover_orientations_regions_and_candidate_parts() -> None:
    assert len(WHOLE_VARIANTS) == 16
    assert "flip-rot270" in VARIANTS
    assert "trimmed-flip-rot270" in VARIANTS
    for region in ("win90-c", "win80-br", "cols70-l", "rows60-b", "tilt-10-inner", "tilt+5-inner"):
        assert region in VARIANTS
    assert {"part-bands", "part-cell1", "part-inset2"} <= set(VARIANTS)
    assert len(set(VARIANTS)) == len(VARIANTS)
    assert max(len(variant) for variant in VARIANTS) <= 32, "the store's variant column"


def test_hamming_counts_differing_bits() -> None:
    assert hamming("0000", "0000") == 0
    assert hamming("0000", "ffff") == 16
    assert hamming("f0", "0f") == 8
    assert hamming(PDQ, PDQ) == 0
    flipped = format(int(PDQ, 16) ^ 0b1011, "064x")
    assert hamming(PDQ, flipped) == 3


def test_hamming_refuses_hashes_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        hamming("00", "0000")
