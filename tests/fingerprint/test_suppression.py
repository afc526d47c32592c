"""Suppression of dismissed images: by digest, by fingerprint, never over her own picture."""

from __future__ import annotations

from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.matching import MatchSettings
from monitor.fingerprint.suppression import Suppression, SuppressionIndex

DISMISSED = "ab" * 32  # PDQ hex of the dismissed image


def _flip(hex_value: str, bits: int) -> str:
    """The PDQ `hex_value` with its first `bits` bits inverted."""
    value = int(hex_value, 16) ^ (((1 << bits) - 1) << (256 - bits))
    return f"{value:064x}"


def _index() -> SuppressionIndex:
    return SuppressionIndex(
        [
            Suppression(id=7, client_id="k1", sha256="d" * 64, hashes=(Hash("pdq", DISMISSED),)),
            Suppression(id=8, client_id="k1", sha256="e" * 64, hashes=()),
        ],
        settings=MatchSettings(),
    )


def test_the_same_bytes_are_suppressed_for_that_client_only() -> None:
    index = _index()
    near = index.near([Hash("pdq", _flip(DISMISSED, 100))])  # far from everything
    assert near == {}
    for digest, suppression in (("d" * 64, 7), ("e" * 64, 8)):
        found = index.check(client_id="k1", sha256=digest, near=near, algorithm="pdq", distance=3)
        assert found is not None
        assert (found.suppression_id, found.algorithm) == (suppression, "sha256")
        assert (
            index.check(client_id="k2", sha256=digest, near=near, algorithm="pdq", distance=3)
            is None
        )


def test_a_near_copy_of_the_dismissed_image_is_suppressed() -> None:
    index = _index()
    near = index.near([Hash("pdq", _flip(DISMISSED, 4))])
    found = index.check(client_id="k1", sha256="0" * 64, near=near, algorithm="pdq", distance=20)
    assert found is not None
    assert (found.suppression_id, found.algorithm, found.distance) == (7, "pdq", 4)
    assert (
        index.check(client_id="k2", sha256="0" * 64, near=near, algorithm="pdq", distance=20)
        is None
    )


def test_a_copy_closer_to_her_picture_than_to_the_dismissed_one_is_not_suppressed() -> None:
    index = _index()
    near = index.near([Hash("pdq", _flip(DISMISSED, 20))])
    assert (
        index.check(client_id="k1", sha256="0" * 64, near=near, algorithm="pdq", distance=2) is None
    )
    assert index.check(client_id="k1", sha256="0" * 64, near=near, algorithm="pdq", distance=20)
    # Byte-identical to her enrolled picture: never hidden by a look-alike.
    assert (
        index.check(client_id="k1", sha256="0" * 64, near=near, algorithm="sha256", distance=0)
        is None
    )
    # A PDQ match of the dismissed image outweighs a pHash+dHash match of hers, not the reverse.
    assert index.check(
        client_id="k1", sha256="0" * 64, near=near, algorithm="phash+dhash", distance=1
    )


def test_beyond_the_threshold_is_not_the_dismissed_image() -> None:
    index = _index()
    threshold = MatchSettings().pdq
    near = index.near([Hash("pdq", _flip(DISMISSED, threshold + 1))])
    assert (
        index.check(client_id="k1", sha256="0" * 64, near=near, algorithm="pdq", distance=31)
        is None
    )


def test_no_suppressions_cost_nothing() -> None:
    empty = SuppressionIndex([], settings=MatchSettings())
    assert not empty
    assert empty.near([Hash("pdq", DISMISSED)]) == {}
    assert (
        empty.check(client_id="k1", sha256="d" * 64, near={}, algorithm="pdq", distance=0) is None
    )
