"""`monitor worker`: one process that takes the monitor's tasks from the PostgreSQL queue.

Run any number, on any number of machines, all with the same config. SIGTERM (or Ctrl-C) stops
taking jobs and lets running ones finish for up to `SHUTDOWN_GRACE` seconds; jobs still running
then are aborted and retried by another worker. A worker killed outright (SIGKILL, power loss)
stops sending heartbeats, and the other workers put its jobs back in the queue.
"""

from __future__ import annotations

import logging
import os
import socket

from monitor.config import Settings
from monitor.queue.app import build_app, require_queue
from monitor.queue.deferring import TaskQueue
from monitor.queue.runtime import WorkerRuntime
from monitor.queue.tasks import HEARTBEAT_EVERY, RUNTIME_KEY, STALLED_AFTER
from monitor.service import running_monitor

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 30.0


async def run_worker(settings: Settings, *, concurrency: int) -> None:
    require_queue(settings.storage.url)
    name = f"{socket.gethostname()}:{os.getpid()}"
    async with running_monitor(settings) as monitor:
        app = build_app(settings.storage.url, pool_size=concurrency + 2)
        async with app.open_async():
            runtime = WorkerRuntime(monitor=monitor, queue=TaskQueue(app))
            log.info("worker %s taking up to %d job(s) at once", name, concurrency)
            await app.run_worker_async(
                name=name,
                concurrency=concurrency,
                additional_context={RUNTIME_KEY: runtime},
                update_heartbeat_interval=HEARTBEAT_EVERY,
                stalled_worker_timeout=STALLED_AFTER * 2,
                shutdown_graceful_timeout=SHUTDOWN_GRACE,
                install_signal_handlers=True,
            )
    log.info("worker %s stopped", name)
