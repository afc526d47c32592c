"""Whether a match is an image a reviewer already dismissed for that client. Pure: no I/O.

A candidate is suppressed for a client when its SHA-256 is that of a dismissed image, or when it
matches a dismissed image's fingerprints (the same `MatchIndex` rule and thresholds as enrolled
images) at least as closely as it matches the client's own picture. The second condition matters:
a false positive is by definition near the client's picture, so a real re-upload of her picture
can fall within the threshold of the dismissed image too; it is not suppressed as long as it looks
more like her picture than like the dismissed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.matching import PDQ_MATCH, IndexEntry, Match, MatchIndex, MatchSettings

EXACT_MATCH = "sha256"


@dataclass(frozen=True)
class Suppression:
    id: int
    client_id: str
    sha256: str | None
    hashes: tuple[Hash, ...]


@dataclass(frozen=True)
class Suppressed:
    """Why a match is not recorded: which suppression, and how the candidate met it."""

    suppression_id: int
    algorithm: str
    distance: int


class SuppressionIndex:
    """Every client's dismissed images, ready to compare against a candidate."""

    def __init__(self, suppressions: Iterable[Suppression], *, settings: MatchSettings) -> None:
        self._by_digest: dict[tuple[str, str], int] = {}
        entries: list[IndexEntry] = []
        for suppression in suppressions:
            if suppression.sha256 is not None:
                key = (suppression.client_id, suppression.sha256)
                self._by_digest.setdefault(key, suppression.id)
            entries.extend(
                IndexEntry(client_id=suppression.client_id, item_id=suppression.id, hash=one)
                for one in suppression.hashes
            )
        self._index = MatchIndex(entries, settings=settings) if entries else None

    def __bool__(self) -> bool:
        return bool(self._by_digest) or self._index is not None

    def near(self, hashes: Sequence[Hash]) -> dict[str, Match]:
        """The closest dismissed image each client has for these hashes (compute once per image)."""
        if self._index is None or not hashes:
            return {}
        closest: dict[str, Match] = {}
        for match in self._index.match(hashes):  # closest first
            closest.setdefault(match.client_id, match)
        return closest

    def check(
        self,
        *,
        client_id: str,
        sha256: str,
        near: dict[str, Match],
        algorithm: str,
        distance: int,
    ) -> Suppressed | None:
        """Is the match (`algorithm`, `distance`) of `client_id`'s picture a dismissed image?"""
        exact = self._by_digest.get((client_id, sha256))
        if exact is not None:
            return Suppressed(suppression_id=exact, algorithm=EXACT_MATCH, distance=0)
        dismissed = near.get(client_id)
        if dismissed is None or algorithm == EXACT_MATCH:
            return None  # byte-identical to her enrolled picture: never hidden by a look-alike
        if _at_least_as_close(dismissed, algorithm=algorithm, distance=distance):
            return Suppressed(
                suppression_id=dismissed.item_id,
                algorithm=dismissed.algorithm,
                distance=dismissed.distance,
            )
        return None


def _at_least_as_close(dismissed: Match, *, algorithm: str, distance: int) -> bool:
    if dismissed.algorithm == algorithm:
        return dismissed.distance <= distance
    # Distances of different algorithms do not compare; PDQ's 256 bits outweigh pHash+dHash.
    return dismissed.algorithm == PDQ_MATCH
