from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterable, Iterator, Sequence
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest

from monitor.errors import BlockedAddressError, FetchError, FetchTimeoutError
from monitor.fetch.addresses import IPAddress
from monitor.fetch.client import Fetcher
from monitor.fetch.transport import GuardedNetworkBackend, GuardedTransport, Resolver
from tests.fetch.conftest import (
    PAGE_HTML,
    PUBLIC_ADDRESS,
    RoutedBackend,
    TestWeb,
    default_routes,
    make_settings,
    serve,
)


class FakeDns:
    """A resolver that answers from a table, one answer list per call in turn (the last repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        self.asked.append(host)
        turns = self.answers.get(host)
        if turns is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        index = min(self.asked.count(host), len(turns)) - 1
        return [ip_address(address) for address in turns[index]]


class BlackholeBackend(httpcore.AsyncNetworkBackend):
    """Wraps a backend; connecting to `blackholed` hangs, as if SYNs were dropped."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, *, blackholed: str) -> None:
        self.inner = inner
        self.blackholed = blackholed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host == self.blackholed:
            await asyncio.sleep(timeout if timeout is not None else 3600)
            raise httpcore.ConnectTimeout("timed out")
        return await self.inner.connect_tcp(host, port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def guarded_fetcher(
    web: TestWeb,
    resolver: Resolver,
    *,
    allow_private: bool = False,
    ssl_context: ssl.SSLContext | None = None,
    **overrides: Any,
) -> tuple[Fetcher, RoutedBackend]:
    backend = RoutedBackend({PUBLIC_ADDRESS: web.port, "127.0.0.1": web.port})
    transport = GuardedTransport(
        allow_private=allow_private,
        resolver=resolver,
        inner_backend=backend,
        ssl_context=ssl_context,
        limits=httpx.Limits(max_keepalive_connections=0),  # every fetch connects anew
    )
    settings = make_settings(allow_private_addresses=allow_private, **overrides)
    return Fetcher(settings, transport=transport), backend


async def test_dns_rebinding_is_refused_at_connect_time(test_web: TestWeb) -> None:
    dns = FakeDns({"rebind.test": [[PUBLIC_ADDRESS], ["127.0.0.1"]]})
    fetcher, backend = guarded_fetcher(test_web, dns)
    url = f"http://rebind.test:{test_web.port}/page"
    async with fetcher:
        first = await fetcher.fetch_page(url)
        with pytest.raises(BlockedAddressError) as caught:
            await fetcher.fetch_page(url)

    assert first.body == PAGE_HTML
    assert caught.value.url == url
    assert "rebind.test (127.0.0.1)" in caught.value.reason
    assert "set fetch.allow_private_addresses = true only for testing" in caught.value.reason
    assert backend.connected == [(PUBLIC_ADDRESS, test_web.port)]


async def test_connection_goes_to_the_checked_address_not_the_name(test_web: TestWeb) -> None:
    dns = FakeDns({"web.test": [[PUBLIC_ADDRESS]]})
    fetcher, backend = guarded_fetcher(test_web, dns)
    async with fetcher:
        await fetcher.fetch_page(f"http://web.test:{test_web.port}/page")
    assert backend.connected == [(PUBLIC_ADDRESS, test_web.port)]
    assert test_web.requests[0].headers["host"] == f"web.test:{test_web.port}"


@pytest.mark.parametrize(
    "answer",
    [
        [PUBLIC_ADDRESS, "10.0.0.7"],
        ["169.254.169.254"],
        ["::ffff:127.0.0.1"],
        ["fd00::1", PUBLIC_ADDRESS],
    ],
)
async def test_a_name_with_any_private_address_is_refused(
    test_web: TestWeb, answer: list[str]
) -> None:
    fetcher, backend = guarded_fetcher(test_web, FakeDns({"mixed.test": [answer]}))
    async with fetcher:
        with pytest.raises(BlockedAddressError):
            await fetcher.fetch_page(f"http://mixed.test:{test_web.port}/page")
    assert backend.connected == []


async def test_private_answers_are_used_when_allowed(test_web: TestWeb) -> None:
    dns = FakeDns({"intranet.test": [["127.0.0.1"]]})
    fetcher, backend = guarded_fetcher(test_web, dns, allow_private=True)
    async with fetcher:
        result = await fetcher.fetch_page(f"http://intranet.test:{test_web.port}/page")
    assert result.status == 200
    assert backend.connected == [("127.0.0.1", test_web.port)]


async def test_next_address_is_tried_when_one_fails(test_web: TestWeb) -> None:
    dns = FakeDns({"two.test": [["8.8.4.4", PUBLIC_ADDRESS]]})  # no route to the first
    fetcher, backend = guarded_fetcher(test_web, dns)
    async with fetcher:
        result = await fetcher.fetch_page(f"http://two.test:{test_web.port}/page")
    assert result.status == 200
    assert [host for host, _ in backend.connected] == ["8.8.4.4", PUBLIC_ADDRESS]


async def test_an_address_that_never_answers_does_not_starve_the_next(test_web: TestWeb) -> None:
    backend = RoutedBackend({PUBLIC_ADDRESS: test_web.port})
    blackhole = BlackholeBackend(backend, blackholed="8.8.4.4")
    dns = FakeDns({"two.test": [["8.8.4.4", PUBLIC_ADDRESS]]})
    transport = GuardedTransport(allow_private=False, resolver=dns, inner_backend=blackhole)
    settings = make_settings(allow_private_addresses=False, connect_timeout=1.0)
    async with Fetcher(settings, transport=transport) as fetcher:
        result = await fetcher.fetch_page(f"http://two.test:{test_web.port}/page")
    assert result.status == 200
    assert [host for host, _ in backend.connected] == [PUBLIC_ADDRESS]


@pytest.mark.parametrize("answers", [None, [[]]])
async def test_unknown_host(test_web: TestWeb, answers: list[list[str]] | None) -> None:
    dns = FakeDns({} if answers is None else {"nowhere.test": answers})
    fetcher, _ = guarded_fetcher(test_web, dns)
    async with fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch_page("http://nowhere.test/")
    assert caught.value.reason == "host not found"


async def test_slow_dns_counts_against_the_connect_timeout(test_web: TestWeb) -> None:
    async def never_answers(host: str, port: int) -> Sequence[IPAddress]:
        await asyncio.sleep(60)
        return []

    fetcher, _ = guarded_fetcher(test_web, never_answers, connect_timeout=0.3)
    async with fetcher:
        with pytest.raises(FetchTimeoutError, match=r"fetch\.connect_timeout"):
            await fetcher.fetch_page("http://slow-dns.test/")


@pytest.mark.parametrize("host", ["127.0.0.1", "0x7f.1", "2130706433", "::1", "localhost"])
async def test_backend_refuses_private_hosts_itself(host: str, closed_port: int) -> None:
    """Even when handed a host directly (the system resolver for `localhost`)."""
    backend = GuardedNetworkBackend(allow_private=False)
    with pytest.raises(BlockedAddressError):
        await backend.connect_tcp(host, closed_port, timeout=2)


async def test_system_resolver_and_fallback_across_addresses(test_web: TestWeb) -> None:
    """`localhost` may resolve to ::1 first; the server listens on 127.0.0.1 only."""
    async with Fetcher(make_settings()) as fetcher:
        result = await fetcher.fetch_page(f"http://localhost:{test_web.port}/page")
    assert result.body == PAGE_HTML


# --- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for the name secure.test (and no IP address)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "2", "-subj", "/CN=secure.test",
            "-addext", "subjectAltName=DNS:secure.test",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_web(certificate: tuple[Path, Path]) -> Iterator[TestWeb]:
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with serve(TestWeb(routes=default_routes()), tls=context) as web:
        yield web


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


async def test_tls_verifies_the_certificate_against_the_host_name(
    tls_web: TestWeb, certificate: tuple[Path, Path]
) -> None:
    dns = FakeDns({"secure.test": [[PUBLIC_ADDRESS]]})
    fetcher, backend = guarded_fetcher(tls_web, dns, ssl_context=trusting(certificate))
    async with fetcher:
        result = await fetcher.fetch_page(f"https://secure.test:{tls_web.port}/page")
    assert result.body == PAGE_HTML
    assert backend.connected == [(PUBLIC_ADDRESS, tls_web.port)]  # by address, verified by name


async def test_tls_refuses_a_certificate_for_another_name(
    tls_web: TestWeb, certificate: tuple[Path, Path]
) -> None:
    dns = FakeDns({"impostor.test": [[PUBLIC_ADDRESS]]})
    fetcher, _ = guarded_fetcher(tls_web, dns, ssl_context=trusting(certificate))
    async with fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch_page(f"https://impostor.test:{tls_web.port}/page")
    assert caught.value.reason.startswith("TLS certificate not accepted")
    assert "impostor.test" in caught.value.reason


async def test_tls_refuses_an_untrusted_certificate(tls_web: TestWeb) -> None:
    dns = FakeDns({"secure.test": [[PUBLIC_ADDRESS]]})
    fetcher, _ = guarded_fetcher(tls_web, dns)  # the default trust store
    async with fetcher:
        with pytest.raises(FetchError, match="TLS certificate not accepted"):
            await fetcher.fetch_page(f"https://secure.test:{tls_web.port}/page")


async def test_tls_to_a_plain_http_server_fails_cleanly(test_web: TestWeb) -> None:
    fetcher, _ = guarded_fetcher(test_web, FakeDns({"plain.test": [[PUBLIC_ADDRESS]]}))
    async with fetcher:
        with pytest.raises(FetchError, match="TLS handshake failed"):
            await fetcher.fetch_page(f"https://plain.test:{test_web.port}/page")
