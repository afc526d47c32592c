"""Politeness towards the sites the fetcher visits: how many requests, and how often."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class _HostState:
    slots: asyncio.Semaphore
    next_start: float = 0.0
    users: int = 0


class HostGate:
    """Politeness: at most `per_host_concurrency` requests in flight per host, starts to one host
    at least `per_host_delay` seconds apart, and at most `concurrency` in flight overall."""

    _PRUNE_ABOVE = 512

    def __init__(
        self, *, concurrency: int, per_host_concurrency: int, per_host_delay: float
    ) -> None:
        self._overall = asyncio.Semaphore(concurrency)
        self._per_host_concurrency = per_host_concurrency
        self._per_host_delay = per_host_delay
        self._hosts: dict[str, _HostState] = {}

    @asynccontextmanager
    async def turn(self, host: str) -> AsyncIterator[None]:
        """Wait until a request to `host` may start; the request runs inside the block."""
        state = self._hosts.get(host)
        if state is None:
            if len(self._hosts) >= self._PRUNE_ABOVE:
                self._forget_idle_hosts()
            state = self._hosts[host] = _HostState(asyncio.Semaphore(self._per_host_concurrency))
        state.users += 1
        try:
            async with state.slots:
                while True:
                    wait = state.next_start - time.monotonic()
                    if wait > 0:
                        await asyncio.sleep(wait)
                        continue
                    async with self._overall:
                        # Another request to this host may have started while we waited.
                        if time.monotonic() < state.next_start:
                            continue
                        state.next_start = time.monotonic() + self._per_host_delay
                        yield
                        return
        finally:
            state.users -= 1

    def _forget_idle_hosts(self) -> None:
        now = time.monotonic()
        for host, state in list(self._hosts.items()):
            if state.users == 0 and state.next_start <= now:
                del self._hosts[host]
