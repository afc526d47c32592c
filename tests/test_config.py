"""The config file: TOML -> typed settings, `${VAR}` secrets, one clear ConfigError per mistake."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import (
    SOURCE_KINDS,
    Settings,
    _expand_env,
    default_config_path,
    load_settings,
)
from monitor.errors import ConfigError
from monitor.sources import FeedSourceConfig, PagesSourceConfig

FEED = '[[sources]]\nname = "alerts"\nkind = "feed"\nurl = "https://example.org/feed.xml"\n'
PAGES = '[[sources]]\nname = "board"\nkind = "pages"\nurls = ["https://example.org/board/"]\n'


def _write(folder: Path, text: str, name: str = "monitor.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path: Path, *, environ: Mapping[str, str] | None = None) -> str:
    """Load `path`, expect exactly one ConfigError that is not a pydantic error in disguise."""
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={} if environ is None else environ)
    error = caught.value
    assert type(error) is ConfigError
    chained = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    assert chained is None, f"the user would see a chained {type(chained).__name__}"
    message = str(error)
    for leaked in ("pydantic", "validation error", "For further information", "Traceback"):
        assert leaked not in message, message
    return message


def error_for(tmp_path: Path, text: str, *, environ: Mapping[str, str] | None = None) -> str:
    return config_error(_write(tmp_path, text), environ=environ)


# --- files that cannot be read ------------------------------------------------------------


def test_a_missing_file_says_to_run_monitor_init(tmp_path: Path) -> None:
    path = tmp_path / "case" / "monitor.toml"
    message = config_error(path)
    assert str(path) in message
    assert f"monitor init --config {path}" in message
    assert "$MONITOR_CONFIG" in message


def test_a_folder_or_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    folder = tmp_path / "monitor.toml"
    folder.mkdir()
    assert "cannot read config file" in config_error(folder)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe[storage]\n")
    assert "cannot read config file" in config_error(binary)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[storage]\nurl = "sqlite:///m.db"\n\n[fetch\nmax_pixels = 1\n')
    assert "is not valid TOML" in message
    assert "line 4" in message


def test_a_nul_byte_is_invalid_toml(tmp_path: Path) -> None:
    assert "is not valid TOML" in error_for(tmp_path, 'jitter = "\x00"\n')


@pytest.mark.parametrize("nested", ["[" * 50_000 + "]" * 50_000, "{a=" * 5_000 + "1" + "}" * 5_000])
def test_deeply_nested_toml_is_a_config_error(tmp_path: Path, nested: str) -> None:
    assert "monitor.toml" in error_for(tmp_path, f"deep = {nested}\n")


# --- keys and values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("colour = 1\n", "colour"),
        ("[fetch]\nallow_privat_addresses = true\n", "fetch.allow_privat_addresses"),
        (FEED + "deph = 2\n", "sources[0].deph"),
        (
            "[[alerts.takedown]]\ndomains = ['x.org']\nname = 'X'\n"
            "url = 'https://x.org'\nurll = 1\n",
            "alerts.takedown[0].urll",
        ),
    ],
)
def test_an_unknown_key_says_to_check_the_spelling(tmp_path: Path, text: str, where: str) -> None:
    message = error_for(tmp_path, text)
    assert f"{where}: unknown key" in message
    assert "check the spelling" in message


def test_a_source_interval_that_is_not_a_duration_shows_the_form(tmp_path: Path) -> None:
    message = error_for(tmp_path, FEED + PAGES + 'every = "5 mins"\n')
    assert message.startswith(f"{tmp_path / 'monitor.toml'}: ")
    assert 'sources[1].every: "5 mins" is not a duration' in message
    assert '"30m"' in message
    assert '"1h"' in message


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"90s"', timedelta(seconds=90)),
        ('"1h30m"', timedelta(hours=1, minutes=30)),
        ('"2d"', timedelta(days=2)),
        ("600", timedelta(minutes=10)),
    ],
)
def test_source_intervals_people_write_are_read(
    tmp_path: Path, written: str, expected: timedelta
) -> None:
    settings = load_settings(_write(tmp_path, FEED + f"every = {written}\n"), environ={})
    assert settings.sources[0].every == expected


@pytest.mark.parametrize("written", ["0", "-5", "true", "inf", "nan", '"99999999999d"'])
def test_a_zero_negative_or_endless_interval_is_refused(tmp_path: Path, written: str) -> None:
    message = error_for(tmp_path, FEED + f"every = {written}\n")
    assert "sources[0].every" in message
    assert '"30m"' in message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[[sources]]\nname = "alerts"\nkind = "feed"\n', "sources[0].url"),
        ('[[sources]]\nname = "board"\nkind = "pages"\n', "sources[0].urls"),
        ('[[sources]]\nkind = "feed"\nurl = "https://example.org/f"\n', "sources[0].name"),
        ("[[clients]]\nnotify = []\n", "clients[0].id"),
    ],
)
def test_a_missing_required_key_is_named(tmp_path: Path, text: str, where: str) -> None:
    message = error_for(tmp_path, text)
    assert f"{where}: missing; this key is required" in message


def test_a_pages_source_needs_at_least_one_url(tmp_path: Path) -> None:
    message = error_for(tmp_path, PAGES.replace('["https://example.org/board/"]', "[]"))
    assert "sources[0].urls" in message
    assert "at least 1" in message


def test_an_unknown_source_kind_names_the_kinds_there_are(tmp_path: Path) -> None:
    message = error_for(tmp_path, FEED.replace('"feed"', '"twitter"'))
    assert "sources[0]" in message
    assert "'twitter'" in message
    assert "'pages'" in message
    assert "'feed'" in message


def test_a_source_without_a_kind_says_kind_is_needed(tmp_path: Path) -> None:
    message = error_for(tmp_path, FEED.replace('kind = "feed"\n', ""))
    assert "sources[0]" in message
    assert "kind" in message


def test_a_bad_source_kind_does_not_echo_secrets_from_the_environment(tmp_path: Path) -> None:
    text = '[[sources]]\nname = "a"\nkind = "rss"\nurl = "https://feeds.example/${FEED_TOKEN}"\n'
    message = error_for(tmp_path, text, environ={"FEED_TOKEN": "tok-Secret-5521"})
    assert "tok-Secret-5521" not in message
    assert "sources[0].kind" in message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (FEED.replace('"alerts"', '"Alerts Feed"'), "sources[0].name"),
        (
            FEED.replace("https://example.org/feed.xml", "ftp://example.org/feed.xml"),
            "sources[0].url",
        ),
        (PAGES.replace("https://example.org/board/", "example.org/board"), "sources[0].urls[0]"),
        ('[fetch]\nper_host_delay = "fast"\n', "fetch.per_host_delay"),
        ("[scan]\nworkers = 0\n", "scan.workers"),
        ('[[clients]]\nid = "Jane Doe"\n', "clients[0].id"),
    ],
)
def test_a_bad_value_names_its_key(tmp_path: Path, text: str, where: str) -> None:
    assert f"{where}: " in error_for(tmp_path, text)


def test_several_problems_are_one_error_with_one_line_each(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[fetch]\nper_host_delay = "fast"\n[scan]\nworkers = 0\n')
    lines = message.splitlines()
    assert len(lines) == 2
    assert "fetch.per_host_delay" in lines[0]
    assert "scan.workers" in lines[1]


def test_duplicate_source_names_and_client_ids_are_refused(tmp_path: Path) -> None:
    message = error_for(tmp_path, FEED + PAGES.replace('"board"', '"alerts"'))
    assert "sources[1]: 'alerts' appears twice" in message
    assert "unique" in message
    message = error_for(tmp_path, '[[clients]]\nid = "K-17"\n[[clients]]\nid = "K-17"\n')
    assert "clients[1]: 'K-17' appears twice" in message


def test_sources_are_typed_by_kind(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, FEED + PAGES + "depth = 2\n"), environ={})
    feed, pages = settings.sources
    assert isinstance(feed, FeedSourceConfig)
    assert feed.every == timedelta(hours=1)
    assert isinstance(pages, PagesSourceConfig)
    assert pages.depth == 2
    assert settings.source_named("board") is pages
    with pytest.raises(ConfigError, match=r"no source named 'forum'.*alerts, board"):
        settings.source_named("forum")


# --- ${VAR} secrets ---------------------------------------------------------------------------


def test_environment_references_expand_from_the_given_mapping(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "from-the-process-environment")
    text = (
        '[[clients]]\nid = "K-17"\n'
        'notify = ["tgram://${BOT_TOKEN}/${CHAT_ID}", "json://${HOST}/a", "plain $HOST"]\n'
        + PAGES.replace("https://example.org/board/", "https://${HOST}/board/")
    )
    environ = {"BOT_TOKEN": "123:abc", "CHAT_ID": "42", "HOST": "forum.example"}
    settings = load_settings(_write(tmp_path, text), environ=environ)
    assert settings.notify_urls_for("K-17") == [
        "tgram://123:abc/42",
        "json://forum.example/a",
        "plain $HOST",
    ]
    assert settings.sources[0].urls == ["https://forum.example/board/"]  # type: ignore[union-attr]


def test_an_expanded_value_is_not_expanded_again(tmp_path: Path) -> None:
    text = '[[clients]]\nid = "K-17"\nnotify = ["json://host/${A}"]\n'
    settings = load_settings(_write(tmp_path, text), environ={"A": "${B}"})
    assert settings.notify_urls_for("K-17") == ["json://host/${B}"]


def test_a_missing_environment_variable_is_named_with_its_place(tmp_path: Path) -> None:
    text = '[[clients]]\nid = "K-17"\nnotify = ["json://host/a", "tgram://${BOT_TOKEN}/42"]\n'
    message = error_for(tmp_path, text, environ={"OTHER": "x"})
    assert "clients[0].notify[1]" in message
    assert "BOT_TOKEN is not set" in message
    assert "export BOT_TOKEN=" in message


def test_the_process_environment_is_used_when_no_mapping_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITOR_TEST_TOKEN", "t-1")
    text = '[[clients]]\nid = "K-17"\nnotify = ["json://host/${MONITOR_TEST_TOKEN}"]\n'
    assert load_settings(_write(tmp_path, text)).notify_urls_for("K-17") == ["json://host/t-1"]


# --- storage ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("sqlite:///monitor.db", "{folder}/monitor.db"),
        ("sqlite:///data/case.db", "{folder}/data/case.db"),
        ("sqlite:///../shared/case.db", "{parent}/shared/case.db"),
        ("sqlite:////var/lib/monitor/case.db", "/var/lib/monitor/case.db"),
    ],
)
def test_a_sqlite_path_is_relative_to_the_config_files_folder(
    tmp_path: Path, written: str, expected: str
) -> None:
    folder = tmp_path / "configs"
    folder.mkdir()
    path = _write(folder, f'[storage]\nurl = "{written}"\n')
    settings = load_settings(path, environ={})
    resolved = expected.format(folder=folder.resolve(), parent=tmp_path.resolve())
    assert settings.storage.url == f"sqlite:///{resolved}"


def test_other_databases_are_kept_as_written(tmp_path: Path) -> None:
    for url in ("sqlite:///:memory:", "postgresql+psycopg://monitor@db.internal/monitor"):
        settings = load_settings(_write(tmp_path, f'[storage]\nurl = "{url}"\n'), environ={})
        assert settings.storage.url == url


def test_the_default_database_sits_next_to_the_config(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, ""), environ={})
    assert settings.storage.url == f"sqlite:///{tmp_path.resolve() / 'monitor.db'}"


def test_an_unsupported_storage_url_says_what_is_supported(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[storage]\nurl = "mysql://root@localhost/monitor"\n')
    assert (
        'storage.url: "mysql://root@localhost/monitor" is not a supported database URL' in message
    )
    assert "sqlite:///" in message
    assert "postgresql" in message


def test_the_default_config_path_follows_monitor_config() -> None:
    assert default_config_path({}) == Path("monitor.toml")
    assert default_config_path({"MONITOR_CONFIG": ""}) == Path("monitor.toml")
    assert default_config_path({"MONITOR_CONFIG": "/etc/monitor/k17.toml"}) == Path(
        "/etc/monitor/k17.toml"
    )


def test_every_commented_source_example_in_the_starter_config_is_valid() -> None:
    """A newcomer uncomments an example and it must load as it stands."""
    from monitor.cli.init import starter_config

    text = starter_config()
    examples = text[text.index("# Where to look.") :].splitlines()[1:]
    uncommented = [
        line[2:]
        for line in examples
        if line.startswith("# [") or (line.startswith("# ") and "=" in line)
    ]
    data = tomllib.loads("\n".join(uncommented))
    kinds = [source["kind"] for source in data["sources"]]
    assert sorted(kinds) == sorted(SOURCE_KINDS), "every kind of source has an example"
    environ = {"SERPAPI_KEY": "k", "TINEYE_API_KEY": "k", "REDDIT_CLIENT_SECRET": "s"}
    Settings.model_validate(_expand_env(data, environ=environ, where=""))
