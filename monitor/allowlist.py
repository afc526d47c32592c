"""A client's allow-list: her own pages, accounts and domains, whose images are never reported.

An entry is either a bare domain (`example.com`: that host and every subdomain, any scheme and
port) or an http(s) URL prefix (`https://instagram.com/herown/`: that host and port exactly,
paths under that one, http and https alike). Hosts are compared after lower-casing, dropping a
trailing dot and IDNA encoding, so `Bücher.DE.` and `xn--bcher-kva.de` are the same host; paths
after resolving `.`/`..` segments and percent-escapes of plain characters. Matching fails
closed: a URL that cannot be read plainly (backslashes, encoded slashes, odd hosts) is never
allowed, so the image is recorded rather than hidden.
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Final
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator

HINT: Final = (
    'write a domain like "example.com" or a URL prefix like "https://example.com/her-page/"'
)
_LABEL: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_UNRESERVED: Final = frozenset(string.ascii_letters + string.digits + "-._~")
_ESCAPE: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_UNSAFE_IN_PATH: Final = ("\\", "%2f", "%5c", "%00")


@dataclass(frozen=True)
class AllowEntry:
    """One parsed entry; `path` is None for a bare domain (which covers its subdomains)."""

    text: str
    host: str
    port: int | None = None
    path: str | None = None
    query: str | None = None

    def allows(self, url: str) -> bool:
        parsed = _parse_url(url)
        if parsed is None:
            return False
        host, port, path, query = parsed
        if self.path is None:
            return host == self.host or (not _is_ip(self.host) and host.endswith("." + self.host))
        if host != self.host or port != self.port or path is None:
            return False
        if self.query is not None:
            return path == self.path and (query == self.query or query.startswith(self.query + "&"))
        if self.path.endswith("/"):
            return path.startswith(self.path)
        return path == self.path or path.startswith(self.path + "/")


@dataclass(frozen=True)
class AllowList:
    entries: tuple[AllowEntry, ...] = ()

    @classmethod
    def parse(cls, texts: Iterable[str]) -> AllowList:
        return cls(tuple(parse_allow_entry(text) for text in texts))

    def __bool__(self) -> bool:
        return bool(self.entries)

    def allowing(self, *urls: str) -> AllowEntry | None:
        """The first entry that allows any of `urls` (page, image, final URL), if one does."""
        for entry in self.entries:
            if any(entry.allows(url) for url in urls if url):
                return entry
        return None


def normalise_allow_entry(text: str) -> str:
    """Config validation: the entry in its normal form, or ValueError saying what to write."""
    return parse_allow_entry(text).text


def parse_allow_entry(text: str) -> AllowEntry:
    given = text.strip()
    if not given:
        raise ValueError(f"an entry is empty; {HINT}")
    if any(character.isspace() or ord(character) < 32 for character in given):
        raise ValueError(f"{text!r} has spaces or control characters in it; {HINT}")
    if "://" in given:
        return _parse_prefix(given)
    if given.startswith("*."):
        raise ValueError(
            f"{text!r}: subdomains are always included; write {given[2:]!r} instead of a wildcard"
        )
    if any(character in given for character in "/?#@:\\"):
        raise ValueError(
            f"{text!r} is neither a bare domain nor a URL; a URL prefix needs its scheme, "
            f"e.g. 'https://{given.lstrip('/')}'"
        )
    host = normalise_host(given)
    if host is None:
        raise ValueError(f"{text!r} is not a valid domain name; {HINT}")
    if "." not in host and not _is_ip(host):
        raise ValueError(
            f"{text!r} is a single label: it would allow every site under it; name a domain "
            "like example.com"
        )
    return AllowEntry(text=host, host=host)


def _parse_prefix(given: str) -> AllowEntry:
    try:
        parts = urlsplit(given)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"{given!r} is not a valid URL ({error}); {HINT}") from None
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        raise ValueError(f"{given!r}: only http and https URLs can be allowed; {HINT}")
    if "@" in parts.netloc:
        raise ValueError(f"{given!r} has a user name in it; write the URL without 'user@'")
    if parts.fragment or given.endswith("#"):
        raise ValueError(f"{given!r}: a #fragment is never sent to a site; leave it out")
    host = normalise_host(parts.hostname or "")
    if host is None or "\\" in parts.netloc:
        raise ValueError(f"{given!r} has no valid host name; {HINT}")
    path = _normalise_path(parts.path or "/")
    if path is None:
        raise ValueError(f"{given!r} has backslashes or encoded slashes in its path")
    effective_port = _effective_port(parts.scheme.lower(), port)
    query = parts.query or None
    shown_host = f"[{host}]" if ":" in host else host
    netloc = shown_host if effective_port is None else f"{shown_host}:{effective_port}"
    text = SplitResult(parts.scheme.lower(), netloc, path, query or "", "").geturl()
    return AllowEntry(text=text, host=host, port=effective_port, path=path, query=query)


def normalise_host(host: str) -> str | None:
    """Lower-case, no trailing dot, IDNA (punycode) encoded; None if it is no valid host."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host.endswith("."):
        host = host[:-1]
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except (UnicodeError, ValueError):
        return None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_host


def _parse_url(url: str) -> tuple[str, int | None, str | None, str] | None:
    """(host, port unless default, normalised path or None if unsafe, query) of a candidate."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or "\\" in parts.netloc:
        return None
    host = normalise_host(parts.hostname or "")
    if host is None:
        return None
    return host, _effective_port(scheme, port), _normalise_path(parts.path or "/"), parts.query


def _normalise_path(path: str) -> str | None:
    """Dot segments resolved and escapes of plain characters decoded; None when the path holds
    something servers read differently (backslash, encoded slash or NUL)."""
    if any(unsafe in path.lower() for unsafe in _UNSAFE_IN_PATH):
        return None

    def decode(match: re.Match[str]) -> str:
        character = chr(int(match.group(1), 16))
        return character if character in _UNRESERVED else f"%{match.group(1).upper()}"

    decoded = _ESCAPE.sub(decode, path)
    if not decoded.startswith("/"):
        decoded = "/" + decoded
    return _remove_dot_segments(decoded)


def _remove_dot_segments(path: str) -> str:
    parts = path.split("/")
    kept: list[str] = []
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if part in (".", ".."):
            if part == ".." and len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
            continue
        kept.append(part)
    return "/".join(kept) or "/"


def _effective_port(scheme: str, port: int | None) -> int | None:
    """The port, or None when it is the default of either web scheme's own."""
    return None if port is None or port == _DEFAULT_PORTS[scheme] else port


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# A config value: checked and put in its normal form when the config is loaded.
AllowEntryText = Annotated[str, AfterValidator(normalise_allow_entry)]
