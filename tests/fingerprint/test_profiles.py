from __future__ import annotations

import pytest
from pydantic import ValidationError

from monitor.config import Settings
from monitor.fingerprint import MatchSettings
from monitor.fingerprint.profiles import DEFAULT_PROFILE, PROFILES


def test_each_profile_sets_its_thresholds() -> None:
    for name, thresholds in PROFILES.items():
        settings = MatchSettings(profile=name)  # type: ignore[arg-type]
        assert (settings.pdq, settings.phash, settings.dhash) == (
            thresholds.pdq,
            thresholds.phash,
            thresholds.dhash,
        )
        assert MatchSettings.for_profile(name) == settings  # type: ignore[arg-type]


def test_profiles_are_ordered_from_strict_to_loose() -> None:
    strict, standard, loose = (PROFILES[name] for name in ("strict", "standard", "loose"))
    assert strict.pdq < standard.pdq < loose.pdq
    assert strict.phash <= standard.phash <= loose.phash
    assert strict.dhash <= standard.dhash <= loose.dhash


def test_the_default_is_the_standard_profile() -> None:
    assert DEFAULT_PROFILE == "standard"
    assert MatchSettings() == MatchSettings(profile="standard")


def test_an_explicit_threshold_overrides_the_profile() -> None:
    settings = MatchSettings.model_validate({"profile": "strict", "pdq": 27})
    assert settings.pdq == 27
    assert settings.phash == PROFILES["strict"].phash


def test_an_unknown_profile_is_refused_with_the_names() -> None:
    with pytest.raises(ValidationError, match=r"strict.*standard.*loose"):
        MatchSettings.model_validate({"profile": "lenient"})


def test_clients_pick_their_own_profile_in_the_config() -> None:
    settings = Settings.model_validate(
        {
            "matching": {"profile": "strict"},
            "clients": [
                {"id": "K-1", "matching": "loose"},
                {"id": "K-2"},
                {"id": "K-3", "matching": "strict"},
            ],
        }
    )
    assert settings.matching_for("K-1") == MatchSettings(profile="loose")
    assert settings.matching_for("K-2") == MatchSettings(profile="strict")
    assert settings.matching_for("K-3") is settings.matching
    assert settings.matching_for("not-in-config") is settings.matching
    with pytest.raises(ValidationError):
        Settings.model_validate({"clients": [{"id": "K-4", "matching": "sloppy"}]})
