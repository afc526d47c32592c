from __future__ import annotations

from monitor.fingerprint import Hash, IndexEntry, MatchIndex, MatchSettings
from monitor.fingerprint.client_index import ClientMatchIndex

BASE = "f0" * 32


def _pdq_at(distance: int) -> Hash:
    """A PDQ hash `distance` bits from BASE."""
    value = int(BASE, 16) ^ ((1 << distance) - 1)
    return Hash("pdq", format(value, "064x"))


PROFILE_OF = {"strict-client": "strict", "loose-client": "loose", "usual-client": "standard"}


def _settings_for(client_id: str) -> MatchSettings:
    return MatchSettings.for_profile(PROFILE_OF[client_id])  # type: ignore[arg-type]


def _index() -> ClientMatchIndex:
    entries = [IndexEntry(client, 1, Hash("pdq", BASE)) for client in PROFILE_OF]
    return ClientMatchIndex(entries, settings_for=_settings_for)


def test_each_client_is_matched_at_its_own_thresholds() -> None:
    index = _index()
    strict, standard, loose = (
        MatchSettings.for_profile(name) for name in ("strict", "standard", "loose")
    )

    def clients_at(distance: int) -> set[str]:
        return {match.client_id for match in index.match([_pdq_at(distance)])}

    assert clients_at(strict.pdq) == set(PROFILE_OF)
    assert clients_at(strict.pdq + 1) == {"usual-client", "loose-client"}
    assert clients_at(standard.pdq + 1) == {"loose-client"}
    assert clients_at(loose.pdq + 1) == set()


def test_it_is_a_match_index_to_its_callers() -> None:
    index = _index()
    assert isinstance(index, MatchIndex)
    assert len(index) == 3
    matches = index.match([_pdq_at(3)])
    assert [match.distance for match in matches] == [3, 3, 3]
    assert all(match.algorithm == "pdq" for match in matches)


def test_settings_are_asked_once_per_client() -> None:
    asked: list[str] = []

    def settings_for(client_id: str) -> MatchSettings:
        asked.append(client_id)
        return MatchSettings()

    entries = [IndexEntry("a", item, Hash("pdq", BASE)) for item in range(5)]
    ClientMatchIndex(entries, settings_for=settings_for)
    assert asked == ["a"]


def test_an_empty_index_matches_nothing() -> None:
    index = ClientMatchIndex([], settings_for=_settings_for)
    assert len(index) == 0
    assert index.match([Hash("pdq", BASE)]) == []
