"""Matching where each client has its own strictness: one `MatchIndex` per matching profile in
use, each holding the enrolled hashes of the clients on that profile.

A candidate is looked up in every one of them, so a client on the "strict" profile is matched
at strict thresholds and a client on "loose" at loose ones, in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.matching import IndexEntry, Match, MatchIndex, MatchSettings


class ClientMatchIndex(MatchIndex):
    """All clients' enrolled hashes, each client matched at its own `MatchSettings`.

    A `MatchIndex` to its callers (same `match` and `len`), so code written for one index (video
    matching, the pipeline) takes it unchanged; it holds one real `MatchIndex` per profile.
    """

    def __init__(
        self,
        entries: Iterable[IndexEntry],
        *,
        settings_for: Callable[[str], MatchSettings],
    ) -> None:
        grouped: dict[MatchSettings, list[IndexEntry]] = {}
        chosen: dict[str, MatchSettings] = {}
        for entry in entries:
            settings = chosen.get(entry.client_id)
            if settings is None:
                settings = chosen[entry.client_id] = settings_for(entry.client_id)
            grouped.setdefault(settings, []).append(entry)
        # Not calling MatchIndex.__init__: this index only delegates to the ones it holds.
        self._indexes = [
            MatchIndex(group, settings=settings) for settings, group in grouped.items()
        ]

    def __len__(self) -> int:
        """Number of enrolled hashes, over every profile."""
        return sum(len(index) for index in self._indexes)

    def match(self, candidate: Sequence[Hash]) -> list[Match]:
        """Every item the candidate matches at its client's thresholds, closest first."""
        matches = [match for index in self._indexes for match in index.match(candidate)]
        matches.sort(key=lambda match: (match.algorithm != "pdq", match.distance))
        return matches
