from __future__ import annotations

import pytest

from monitor.sources.fields import check_http_url, check_source_name


@pytest.mark.parametrize("name", ["a", "jane-alerts", "client_7.feed", "0", "a" * 63])
def test_good_source_names(name: str) -> None:
    assert check_source_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "A", "jane alerts", "-x", ".x", "_x", "a" * 64, "é", "a/b", "a\n"]
)
def test_bad_source_names(name: str) -> None:
    with pytest.raises(ValueError, match=r'e\.g\. "jane-alerts"'):
        check_source_name(name)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org",
        "http://example.org:8080/a?b#c",
        "https://[2001:db8::1]/x",
        "HTTPS://EXAMPLE.ORG/",
    ],
)
def test_good_urls_are_kept_exactly(url: str) -> None:
    assert check_http_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "example.org",
        "//example.org/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.org/",
        " https://example.org/",
        "https://example.org:http/",
        "https://[::1/",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(ValueError, match="not an http\\(s\\) URL with a host"):
        check_http_url(url)
