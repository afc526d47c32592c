"""The network layer under the one httpx client: every connection goes to a checked address.

Checking a URL's host before a request is not enough: a host name can resolve to a public
address when it is checked and to 127.0.0.1 a moment later, when the connection is made
(DNS rebinding). `GuardedNetworkBackend` closes that gap: it resolves the name itself, refuses
the connection if ANY resolved address is private, loopback, link-local, ... and then connects
to one of the addresses it checked, never to the name. TLS still verifies the certificate
against the host name: httpcore passes the URL's host as `server_hostname` to `start_tls`.

`GuardedTransport` is an httpx transport (like `httpx.AsyncHTTPTransport`, without proxies and
HTTP/2) whose connection pool uses that backend.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import ssl
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Sequence,
)
from ipaddress import ip_address

import anyio
import httpcore
import httpx

from monitor.fetch.addresses import IPAddress, check_address, parse_ip_host

Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]
"""Resolves (host name, port) to addresses; raises OSError (e.g. socket.gaierror) on failure."""


async def resolve_with_system(host: str, port: int) -> list[IPAddress]:
    """The system resolver (getaddrinfo in a worker thread): addresses in its order, no repeats."""
    found: list[IPAddress] = []
    for family, _type, _proto, _name, sockaddr in await anyio.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        if family in (socket.AF_INET, socket.AF_INET6):
            address = ip_address(sockaddr[0])
            if address not in found:
                found.append(address)
    return found


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, then connects through `inner` to a checked address."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver = resolve_with_system,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else anyio.current_time() + timeout
        try:
            with anyio.fail_after(timeout):
                addresses = await self._checked_addresses(host, port)
                return await self._connect_to_first(
                    addresses,
                    port,
                    deadline=deadline,
                    local_address=local_address,
                    socket_options=socket_options,
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout("could not connect in time") from None

    async def _checked_addresses(self, host: str, port: int) -> Sequence[IPAddress]:
        try:
            literal = parse_ip_host(host)
        except ValueError as error:
            raise httpcore.ConnectError(str(error)) from None
        if literal is not None:
            addresses: Sequence[IPAddress] = [literal]
        else:
            try:
                addresses = await self._resolver(host, port)
            except OSError as error:
                raise httpcore.ConnectError(describe_network_failure(error)) from error
        if not addresses:
            raise httpcore.ConnectError("host not found")
        for address in addresses:
            check_address(address, host=host, url=host, allow_private=self._allow_private)
        return addresses

    async def _connect_to_first(
        self,
        addresses: Sequence[IPAddress],
        port: int,
        *,
        deadline: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        """Try the addresses in order; each gets an equal share of the time left, so one
        address that swallows packets does not use up the time of the others."""
        failures: list[Exception] = []
        for index, address in enumerate(addresses):
            share = None
            if deadline is not None:
                share = (deadline - anyio.current_time()) / (len(addresses) - index)
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=share,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failures.append(error)
        if all(isinstance(failure, httpcore.ConnectTimeout) for failure in failures):
            raise httpcore.ConnectTimeout("could not connect in time") from failures[0]
        raise httpcore.ConnectError(describe_network_failure(failures[0])) from failures[0]

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("the fetcher does not connect to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class GuardedTransport(httpx.AsyncBaseTransport):
    """The default transport of `Fetcher`: HTTP/1.1, no proxies, connections via the guard."""

    def __init__(
        self,
        *,
        allow_private: bool,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
        resolver: Resolver = resolve_with_system,
        inner_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        limits = limits if limits is not None else httpx.Limits()
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context if ssl_context is not None else httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=GuardedNetworkBackend(
                allow_private=allow_private, resolver=resolver, inner=inner_backend
            ),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            core_response = await self._pool.handle_async_request(core_request)
        assert isinstance(core_response.stream, AsyncIterable)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_ResponseStream(core_response.stream),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, core_stream: AsyncIterable[bytes]) -> None:
        self._core_stream = core_stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for part in self._core_stream:
                yield part

    async def aclose(self) -> None:
        close = getattr(self._core_stream, "aclose", None)
        if close is not None:
            await close()


_HTTPCORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.HTTPError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProxyError, httpx.ProxyError),
)


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        for core_type, httpx_type in _HTTPCORE_TO_HTTPX:
            if isinstance(error, core_type):
                raise httpx_type(str(error)) from error
        raise


_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ECONNABORTED: "connection aborted",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ETIMEDOUT: "connection timed out",
    errno.EPIPE: "connection closed by the server",
}


def describe_network_failure(error: BaseException, *, fallback: str = "network error") -> str:
    """A short reason for a failed connection, from the most telling exception in its chain."""
    chain = _exception_chain(error)
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({cause.verify_message})"
    for cause in chain:
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed ({cause.reason or cause})"
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return "host not found"
        if isinstance(cause, OSError) and cause.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[cause.errno]
    return str(error) or fallback


def _exception_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    pending = [error]
    while pending and len(chain) < 32:
        current = pending.pop(0)
        if current in chain:
            continue
        chain.append(current)
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(cause for cause in (current.__cause__, current.__context__) if cause)
    return chain
