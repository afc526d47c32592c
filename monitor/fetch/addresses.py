"""Which URLs and IP addresses the fetcher may contact. Pure: no DNS, no sockets.

The fetcher follows URLs that strangers put on the web, so a hostile page could point it at
the machine it runs on or the network behind it (SSRF): the cloud metadata service at
169.254.169.254, a router's admin page, a database on localhost. Two checks stop that:
`check_url` before a request (and before every redirect hop), and `blocked_reason` on every
address a host name resolves to, at connect time (see `monitor.fetch.transport`).

URLs are parsed with `httpx.URL`, the parser the client itself uses, so the check and the
request can never disagree about which host a URL names.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import httpx

from monitor.errors import BlockedAddressError, UnsupportedUrlError

IPAddress = IPv4Address | IPv6Address

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        IPv4Address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
        IPv4Address("169.254.170.2"),  # AWS ECS task metadata
        IPv4Address("100.100.100.200"),  # Alibaba Cloud
        IPv6Address("fd00:ec2::254"),  # AWS over IPv6
    }
)
ALLOW_PRIVATE_HINT = "set fetch.allow_private_addresses = true only for testing"

_BLOCKED_IPV4: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(network), why)
    for network, why in (
        ("0.0.0.0/8", "an unspecified ('this network') address"),
        ("10.0.0.0/8", "a private address (RFC 1918)"),
        ("100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address (cloud metadata services live here)"),
        ("172.16.0.0/12", "a private address (RFC 1918)"),
        ("192.0.0.0/24", "an IETF protocol assignment"),
        ("192.0.2.0/24", "a documentation address (TEST-NET-1)"),
        ("192.88.99.0/24", "a 6to4 relay anycast address"),
        ("192.168.0.0/16", "a private address (RFC 1918)"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address (TEST-NET-2)"),
        ("203.0.113.0/24", "a documentation address (TEST-NET-3)"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved or broadcast address"),
    )
)

_BLOCKED_IPV6: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(network), why)
    for network, why in (
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("::/96", "a deprecated IPv4-compatible address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001::/23", "an IETF protocol assignment (Teredo, benchmarking, ...)"),
        ("2001:db8::/32", "a documentation address"),
        ("fc00::/7", "a unique-local address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a deprecated site-local address"),
        ("ff00::/8", "a multicast address"),
    )
)
_GLOBAL_UNICAST_IPV6 = IPv6Network("2000::/3")
_NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")

_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")
_LOOPBACK_NAMES = ("localhost", "localhost.", "localhost.localdomain")


def blocked_reason(address: IPAddress) -> str | None:
    """Why `address` must not be contacted ("a loopback address"), or None for a public one.

    Addresses that carry an IPv4 address inside an IPv6 one (IPv4-mapped `::ffff:a.b.c.d`,
    NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`) are judged by the IPv4 address they carry.
    """
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = blocked_reason(embedded)
            return None if inner is None else f"an IPv6 address carrying {embedded}, {inner}"
        for network, why in _BLOCKED_IPV6:
            if address in network:
                return why
        if address not in _GLOBAL_UNICAST_IPV6:
            return "a reserved address"
        return None
    for ipv4_network, why in _BLOCKED_IPV4:
        if address in ipv4_network:
            return why
    return None


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64_WELL_KNOWN:
        return IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def check_address(address: IPAddress, *, host: str, url: str, allow_private: bool) -> None:
    """Raise BlockedAddressError if `host`, which is or resolved to `address`, is refused.

    Cloud metadata services are refused even when private addresses are allowed: nothing the
    monitor looks for lives there, and a redirect to one is an attack.
    """
    embedded = _embedded_ipv4(address) if isinstance(address, IPv6Address) else None
    if address in METADATA_ADDRESSES or embedded in METADATA_ADDRESSES:
        raise BlockedAddressError(
            url,
            f"refused to connect to {host} ({address}): it is a cloud metadata service, "
            "which is never fetched, not even with fetch.allow_private_addresses = true",
        )
    if allow_private:
        return
    why = blocked_reason(address)
    if why is not None:
        raise BlockedAddressError(url, blocked_message(host=host, address=str(address), why=why))


def blocked_message(*, host: str, address: str, why: str) -> str:
    """`why` is a noun phrase: "a loopback address"."""
    named = host if host == address else f"{host} ({address})"
    return f"refused to connect to {named}: it is {why}; {ALLOW_PRIVATE_HINT}"


def parse_ip_host(host: str) -> IPAddress | None:
    """The IP address a URL host spells literally, or None when the host is a name.

    Besides plain dotted quads and IPv6 literals this reads the spellings that resolvers and
    browsers also accept, so they cannot sneak past the check: `2130706433`, `0x7f.1`,
    `0177.0.0.1`, `127.1`, `127.0.0.1.` (all 127.0.0.1). Raises ValueError for a host that ends
    in a number but is no valid IPv4 address (`1.2.3.4.5`, `10.0.0.256`, `host.123`).
    """
    if ":" in host:
        return ip_address(host.replace("%25", "%"))
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    if not labels or _ipv4_number(labels[-1]) is None:
        return None
    numbers = [_ipv4_number(label) for label in labels]
    if len(numbers) > 4 or any(number is None for number in numbers):
        raise ValueError(f"{host!r} is not a valid IPv4 address")
    *leading, last = (number for number in numbers if number is not None)
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(f"{host!r} is not a valid IPv4 address")
    value = last
    for position, number in enumerate(leading):
        value += number * 256 ** (3 - position)
    return IPv4Address(value)


def _ipv4_number(label: str) -> int | None:
    """One dot-separated part of an IPv4 address (decimal, 0x-hex, 0-octal); None if no number."""
    digits, base = label, 10
    if label[:2] in ("0x", "0X"):
        digits, base = label[2:], 16
    elif len(label) > 1 and label.startswith("0"):
        digits, base = label[1:], 8
    if digits == "":
        return 0 if base != 10 else None
    allowed = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[base]
    if not all(character in allowed for character in digits):
        return None
    return int(digits, base)


def check_url(url: str, *, allow_private: bool) -> httpx.URL:
    """Parse `url` and refuse what the fetcher must not request. Returns the parsed URL.

    Raises UnsupportedUrlError for anything but an http(s) URL with a valid host (no `file:`,
    `data:`, `javascript:`, no `user:password@`), and BlockedAddressError for a host that is
    literally a refused address or `localhost`. Host names are not resolved here.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise UnsupportedUrlError(url, f"not a valid URL ({error})") from None
    if parsed.scheme not in ("http", "https"):
        shown = parsed.scheme or "no scheme"
        raise UnsupportedUrlError(url, f"only http and https URLs can be fetched, not {shown}")
    if parsed.userinfo:
        raise UnsupportedUrlError(url, "URLs with a user name or password are not fetched")
    host = parsed.raw_host.decode("ascii").lower()
    if not host:
        raise UnsupportedUrlError(url, "the URL has no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UnsupportedUrlError(url, f"port {parsed.port} is out of range")
    _check_host(host, url=url, allow_private=allow_private)
    return parsed


def _check_host(host: str, *, url: str, allow_private: bool) -> None:
    try:
        address = parse_ip_host(host)
    except ValueError:
        raise UnsupportedUrlError(url, f"host {host!r} is not a valid IP address") from None
    if address is not None:
        check_address(address, host=host, url=url, allow_private=allow_private)
        return
    if not _HOST_NAME.fullmatch(host):
        raise UnsupportedUrlError(url, f"host {host!r} has characters a host name cannot have")
    if not allow_private and (host in _LOOPBACK_NAMES or host.rstrip(".").endswith(".localhost")):
        raise BlockedAddressError(
            url, blocked_message(host=host, address=host, why="a loopback name")
        )
