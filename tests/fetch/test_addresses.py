from __future__ import annotations

from ipaddress import IPv4Address, ip_address

import pytest

from monitor.errors import BlockedAddressError, UnsupportedUrlError
from monitor.fetch.addresses import blocked_reason, check_url, parse_ip_host

REFUSED_ADDRESSES = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    ("169.254.0.1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.255", "carrier-grade NAT"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("192.0.2.10", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("febf::1", "link-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("64:ff9b:1::1", "NAT64"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("2002:c0a8:101::1", "private"),  # 6to4 of 192.168.1.1
    ("2001::1", "Teredo"),
    ("2001:db8::1", "documentation"),
    ("100::1", "discard"),
    ("fec0::1", "site-local"),
    ("4000::1", "reserved"),
]

PUBLIC_ADDRESSES = [
    "93.184.215.14",
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",  # just past 172.16/12
    "100.128.0.1",  # just past 100.64/10
    "169.255.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:80b::200e",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize(("address", "kind"), REFUSED_ADDRESSES)
def test_refused_addresses_name_what_they_are(address: str, kind: str) -> None:
    reason = blocked_reason(ip_address(address))
    assert reason is not None
    assert kind in reason


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_are_allowed(address: str) -> None:
    assert blocked_reason(ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("169.254.43518", "169.254.169.254"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("fe80::1%25eth0", "fe80::1%eth0"),
    ],
)
def test_odd_ip_spellings_are_read_as_the_address_a_resolver_would_use(
    host: str, expected: str
) -> None:
    assert parse_ip_host(host) == ip_address(expected)


@pytest.mark.parametrize(
    "host", ["example.com", "localhost", "a1.example", "0x7f.example", "xn--80ak6aa92e.com"]
)
def test_host_names_are_not_addresses(host: str) -> None:
    assert parse_ip_host(host) is None


@pytest.mark.parametrize(
    "host", ["1.2.3.4.5", "256.0.0.1", "1.2.65536", "4294967296", "host.123", "0x1g.1"]
)
def test_hosts_that_end_in_a_number_must_be_valid_addresses(host: str) -> None:
    with pytest.raises(ValueError, match="not a valid IPv4 address"):
        parse_ip_host(host)


def test_largest_ipv4_number_is_read() -> None:
    assert parse_ip_host("4294967295") == IPv4Address("255.255.255.255")


BLOCKED_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/admin",
    "https://10.0.0.1/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fd00::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://127.0.0.1./",
    "http://0/",
    "http://100.64.0.1/",
    "http://224.0.0.251/",
    "http://localhost/",
    "http://LOCALHOST:3000/",
    "http://localhost./",
    "http://api.localhost/",
]

UNSUPPORTED_URLS = [
    "file:///etc/passwd",
    "ftp://example.com/file",
    "gopher://example.com/",
    "data:text/html,<script>alert(1)</script>",
    "javascript:alert(1)",
    "about:blank",
    "//example.com/no-scheme",
    "/relative/path",
    "",
    "http://",
    "http:///path-only",
    "http://user:password@example.com/",
    "http://user@example.com/",
    "http://example.com\\@127.0.0.1/",
    "http://exa mple.com/",
    "http://127.0.0.1%2e/",
    "http://%31%32%37.0.0.1/",
    "http://a..b/",
    "http://1.2.3.4.5/",
    "http://256.1.1.1/",
    "http://example.com:0/",
    "http://example.com:99999/",
    "http://[::1/",
]

ALLOWED_URLS = [
    "http://example.com/",
    "https://example.com/gallery?page=2#top",
    "HTTPS://EXAMPLE.COM/",
    "http://93.184.215.14/",
    "http://[2606:4700:4700::1111]/",
    "https://sub.example.co.uk:8443/path",
    "http://ёжик.рф/",
    "http://under_score.example.com/",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_private_urls_are_refused_with_a_hint(url: str) -> None:
    with pytest.raises(BlockedAddressError) as caught:
        check_url(url, allow_private=False)
    assert caught.value.url == url
    if "metadata" not in caught.value.reason:
        assert "set fetch.allow_private_addresses = true only for testing" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://0xa9.0xfe.0xa9.0xfe/",
        "http://[::ffff:169.254.169.254]/",
        "http://[fd00:ec2::254]/",
        "http://169.254.170.2/v2/credentials",
        "http://100.100.100.200/latest/meta-data/",
    ],
)
def test_cloud_metadata_is_refused_even_when_private_addresses_are_allowed(url: str) -> None:
    with pytest.raises(BlockedAddressError) as caught:
        check_url(url, allow_private=True)
    assert "cloud metadata service" in caught.value.reason


def test_refusal_names_the_host_and_the_address() -> None:
    with pytest.raises(BlockedAddressError) as caught:
        check_url("http://0x7f.1/", allow_private=False)
    assert "0x7f.1 (127.0.0.1)" in caught.value.reason
    assert "loopback" in caught.value.reason


METADATA_SPELLINGS = ("169.254.169.254", "a9fe:a9fe", "0xa9.0xfe.0xa9.0xfe", "169.254.43518")


@pytest.mark.parametrize(
    "url", [url for url in BLOCKED_URLS if not any(m in url for m in METADATA_SPELLINGS)]
)
def test_private_urls_are_allowed_when_configured(url: str) -> None:
    assert check_url(url, allow_private=True).host


@pytest.mark.parametrize("url", UNSUPPORTED_URLS)
@pytest.mark.parametrize("allow_private", [False, True])
def test_unusable_urls_are_unsupported(url: str, allow_private: bool) -> None:
    with pytest.raises(UnsupportedUrlError):
        check_url(url, allow_private=allow_private)


@pytest.mark.parametrize("url", ALLOWED_URLS)
def test_public_urls_pass(url: str) -> None:
    parsed = check_url(url, allow_private=False)
    assert parsed.scheme in ("http", "https")


def test_unsupported_scheme_says_which() -> None:
    with pytest.raises(
        UnsupportedUrlError, match="only http and https URLs can be fetched, not file"
    ):
        check_url("file:///etc/passwd", allow_private=True)


def test_credentials_in_url_are_refused() -> None:
    with pytest.raises(UnsupportedUrlError, match="user name or password"):
        check_url("https://admin:hunter2@example.com/", allow_private=False)
