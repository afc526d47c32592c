"""The operator's alert text (pure, discreet) and the `[operator]` settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.alerts.operator import (
    MAX_ERROR_CHARS,
    OperatorSettings,
    render_source_failing,
    render_source_recovered,
)
from monitor.alerts.render import DISCREET_WORDS
from monitor.config import load_settings
from monitor.errors import ConfigError

SINCE = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ERROR = "feed https://feeds.example/x.xml: HTTP status 404"


def test_failing_alert_names_source_time_and_error_and_keeps_the_error_off_the_title() -> None:
    message = render_source_failing(
        source="jane-alerts", failing_since=SINCE, failed_sweeps=3, error=ERROR
    )
    assert message.title == "Monitor: source jane-alerts failing since 2026-05-01T12:00:00Z"
    first_line = message.body.splitlines()[0]
    assert first_line == f"Monitor: source jane-alerts failing since 2026-05-01T12:00:00Z: {ERROR}"
    assert "3 sweeps" in message.body
    assert "monitor sources" in message.body
    assert "://" not in message.title, "a lock screen shows the title: no site address"


def test_recovery_alert_says_when_it_worked_again_and_since_when_it_failed() -> None:
    message = render_source_recovered(
        source="jane-alerts",
        failing_since=SINCE,
        recovered_at=SINCE + timedelta(hours=5),
        error=ERROR,
    )
    assert message.title == "Monitor: source jane-alerts works again"
    assert "2026-05-01T17:00:00Z" in message.body
    assert "failing since 2026-05-01T12:00:00Z" in message.body
    assert ERROR in message.body


def test_times_are_utc_whatever_zone_they_come_in() -> None:
    eastern = SINCE.astimezone(timezone(timedelta(hours=-5)))
    message = render_source_failing(
        source="s", failing_since=eastern, failed_sweeps=1, error="boom"
    )
    assert message.title.endswith("since 2026-05-01T12:00:00Z")
    assert "The last 1 sweep of" in message.body


def test_a_hostile_error_cannot_forge_lines_or_flood_the_message() -> None:
    error = "bad\nTitle: forged\r\n\x1b[31m\u2028" + "x" * 10_000
    message = render_source_failing(source="s", failing_since=SINCE, failed_sweeps=3, error=error)
    first_line = message.body.splitlines()[0]
    assert "Title: forged" in first_line, "kept, but on the same line"
    assert "\x1b" not in message.body
    assert "\u2028" not in message.body
    assert len(first_line) < len("Monitor: source s failing since 2026-05-01T12:00:00Z: ") + (
        MAX_ERROR_CHARS + 1
    )
    assert first_line.endswith("…")
    empty = render_source_failing(source="s", failing_since=SINCE, failed_sweeps=3, error="\n ")
    assert empty.body.splitlines()[0].endswith(": (no detail)")


@pytest.mark.parametrize("word", DISCREET_WORDS)
def test_operator_templates_never_use_an_explicit_word(word: str) -> None:
    failing = render_source_failing(source="s", failing_since=SINCE, failed_sweeps=3, error="e")
    recovered = render_source_recovered(
        source="s", failing_since=SINCE, recovered_at=SINCE, error="e"
    )
    for message in (failing, recovered):
        assert word not in f"{message.title}\n{message.body}".lower()


def test_settings_default_to_logging_after_three_failures() -> None:
    settings = OperatorSettings()
    assert settings.notify == []
    assert settings.failures_before_alert == 3


@pytest.mark.parametrize("count", [0, -1, 1001])
def test_failures_before_alert_must_be_a_sensible_count(count: int) -> None:
    with pytest.raises(ValidationError):
        OperatorSettings(failures_before_alert=count)


def test_operator_section_loads_from_the_config_with_secrets_from_the_environment(
    tmp_path: Path,
) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[operator]\nnotify = ["json://127.0.0.1:9/${HOOK_TOKEN}"]\nfailures_before_alert = 5\n',
        encoding="utf-8",
    )
    settings = load_settings(config, environ={"HOOK_TOKEN": "t0k3n"})
    assert settings.operator.notify == ["json://127.0.0.1:9/t0k3n"]
    assert settings.operator.failures_before_alert == 5


def test_an_unusable_operator_url_is_named_by_position_never_echoed(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[operator]\nnotify = ["json://127.0.0.1:9/ok", "bogus://Hidden-Token-77"]\n'
        "failures_before_alert = 2\nsurprise = 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(config, environ={})
    message = str(raised.value)
    assert "operator.notify[1]: not a valid Apprise URL" in message
    assert "operator.surprise: unknown key" in message
    assert "Hidden-Token-77" not in message
