"""Allow-lists: her own domains and pages match, look-alikes and tricks never do."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.allowlist import AllowList, parse_allow_entry
from monitor.config import load_settings
from monitor.errors import ConfigError


def _allows(entry: str, url: str) -> bool:
    return parse_allow_entry(entry).allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.jpg",
        "http://example.com/a.jpg",
        "https://www.example.com/a.jpg",
        "https://cdn.images.example.com:8443/x/y.jpg",
        "https://EXAMPLE.COM/a.jpg",
        "https://example.com./a.jpg",
        "https://user@example.com/a.jpg",
    ],
)
def test_a_domain_allows_itself_and_its_subdomains(url: str) -> None:
    assert _allows("example.com", url)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil-example.com/a.jpg",
        "https://example.com.evil.net/a.jpg",
        "https://notexample.com/a.jpg",
        "https://example.co/a.jpg",
        "https://evil.net/example.com/a.jpg",
        "https://evil.net/?u=https://example.com/",
        "https://example.com@evil.net/a.jpg",
        "https://evil.net\\@example.com/a.jpg",
        "https://evil.net#@example.com",
        "ftp://example.com/a.jpg",
        "javascript:alert(1)//example.com",
        "not a url",
        "",
        "https://[::1/",
    ],
)
def test_look_alikes_and_tricks_are_not_the_domain(url: str) -> None:
    assert not _allows("example.com", url)


def test_entries_are_normalised_uppercase_trailing_dot_and_idn() -> None:
    assert parse_allow_entry("  Example.COM.  ").text == "example.com"
    assert parse_allow_entry("Bücher.de").text == "xn--bcher-kva.de"
    assert _allows("bücher.de", "https://shop.xn--bcher-kva.de/x.jpg")
    assert _allows("xn--bcher-kva.de", "https://BÜCHER.de/x.jpg")
    assert _allows("example。com", "https://example.com/")  # an ideographic full stop
    assert not _allows("bücher.de", "https://bucher.de/x.jpg")
    assert parse_allow_entry("HTTPS://Instagram.COM:443/HerOwn/").text == (
        "https://instagram.com/HerOwn/"
    )


def test_an_ip_address_is_exact_and_has_no_subdomains() -> None:
    assert _allows("127.0.0.1", "http://127.0.0.1:8080/x.jpg")
    assert not _allows("10.0.0.1", "http://110.0.0.1/x.jpg")
    assert not _allows("10.0.0.1", "http://1.10.0.0.1/x.jpg")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://instagram.com/herown/", True),
        ("https://instagram.com/herown/p/abc.jpg", True),
        ("http://instagram.com/herown/p/abc.jpg", True),
        ("https://instagram.com/herown", False),  # the prefix ends with a slash: under it only
        ("https://instagram.com/herownfake/p.jpg", False),
        ("https://instagram.com/other/", False),
        ("https://www.instagram.com/herown/", False),  # a prefix names its host exactly
        ("https://instagram.com/herown/../other/x.jpg", False),
        ("https://instagram.com/herown/%2e%2e/other/x.jpg", False),
        ("https://instagram.com/herown/%2E%2E/%2e%2E/other/x.jpg", False),
        ("https://instagram.com/herown%2f..%2fother/x.jpg", False),
        ("https://instagram.com/herown\\..\\other/x.jpg", False),
        ("https://instagram.com:8443/herown/x.jpg", False),
        ("https://instagram.com/other/../herown/x.jpg", True),
        ("https://instagram.com/%68erown/x.jpg", True),  # %68 is a plain "h"
    ],
)
def test_a_url_prefix_allows_paths_under_it_only(url: str, allowed: bool) -> None:
    assert _allows("https://instagram.com/herown/", url) is allowed


def test_a_prefix_without_a_trailing_slash_ends_at_a_segment() -> None:
    entry = "https://example.com/gallery"
    assert _allows(entry, "https://example.com/gallery")
    assert _allows(entry, "https://example.com/gallery/1.jpg")
    assert not _allows(entry, "https://example.com/gallery-of-others/1.jpg")


def test_a_prefix_with_a_query_matches_that_query_parameter_exactly() -> None:
    entry = "https://facebook.com/profile.php?id=100"
    assert _allows(entry, "https://facebook.com/profile.php?id=100")
    assert _allows(entry, "https://facebook.com/profile.php?id=100&sk=photos")
    assert not _allows(entry, "https://facebook.com/profile.php?id=1000")
    assert not _allows(entry, "https://facebook.com/profile.php?id=200&x=id=100")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("com", "single label"),
        ("localhost", "single label"),
        ("*.example.com", "subdomains are always included"),
        ("instagram.com/herown", "needs its scheme"),
        ("example.com:8080", "needs its scheme"),
        ("exa mple.com", "spaces"),
        ("exa\x00mple.com", "control characters"),
        ("-bad-.com", "not a valid domain"),
        ("a..b.com", "not a valid domain"),
        ("x" * 64 + ".com", "not a valid domain"),
        ("ftp://example.com/", "only http and https"),
        ("javascript://example.com/", "only http and https"),
        ("https://", "no valid host"),
        ("https:///path", "no valid host"),
        ("https://user:pw@example.com/", "user name"),
        ("https://example.com/#top", "fragment"),
        ("https://example.com:99999/", "not a valid URL"),
        ("https://example.com/a\\b", "backslashes"),
        ("https://exa_mple .com/", "spaces"),
    ],
)
def test_invalid_entries_say_what_to_write(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_allow_entry(entry)


def test_an_allow_list_names_the_entry_that_allowed_an_image() -> None:
    allow = AllowList.parse(["her-site.example", "https://instagram.com/herown/"])
    assert allow.allowing("https://evil.net/t/1", "https://cdn.evil.net/a.jpg") is None
    found = allow.allowing("https://instagram.com/herown/p/1", "https://cdninstagram.com/a.jpg")
    assert found is not None
    assert found.text == "https://instagram.com/herown/"
    assert not AllowList.parse([])


def _config(tmp_path: Path, allow: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(f'[[clients]]\nid = "k1"\n\n[[clients]]\nid = "k2"\nallow = {allow}\n')
    return path


def test_the_config_keeps_entries_in_normal_form(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, '["Example.COM.", "https://Her.Site/Me/"]'))
    assert settings.clients[0].allow == []
    assert settings.clients[1].allow == ["example.com", "https://her.site/Me/"]


def test_a_bad_entry_is_a_config_error_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(_config(tmp_path, '["example.com", "instagram.com/herown"]'))
    message = str(raised.value)
    assert "clients[1].allow[1]: 'instagram.com/herown'" in message
    assert "https://instagram.com/herown" in message
    with pytest.raises(ConfigError, match=r"clients\[1\]\.allow: "):
        load_settings(_config(tmp_path, '"example.com"'))
