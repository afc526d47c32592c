"""The monitor's procrastinate tasks: thin wrappers that hand each job to the `WorkerRuntime`.

Guarantees, and what enforces them:
- a source is polled once per (source, period): the periodic-defer key (`deferring`);
- a candidate is processed idempotently on (URL, content digest): the digest cache and the
  database's unique (client, item, image URL) sighting;
- an alert is sent once: the outbox claim (`store.outbox`);
- no task is lost: a job whose worker died (no heartbeat for `STALLED_AFTER` seconds) is put
  back in the queue by `retry_stalled_jobs`, which every worker defers every few seconds (the
  database keeps one per instant); an unexpected error is retried `RETRY.max_attempts` times.
Jobs that succeeded are deleted after `KEEP_FINISHED_JOBS_HOURS`; failed ones are kept.
"""

from __future__ import annotations

import logging

from procrastinate import App, JobContext, RetryStrategy

from monitor.queue.deferring import (
    CHECK_IMAGE,
    DELIVER_ALERTS,
    FOLLOW_THROUGH,
    POLL_SOURCE,
    REMOVE_OLD_JOBS,
    RETRY_STALLED_JOBS,
    VISIT_PAGE,
    candidate_from_json,
)
from monitor.queue.runtime import WorkerRuntime

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds between a worker's heartbeats
STALLED_AFTER = 15.0  # seconds without a heartbeat before a worker's jobs are taken back
STALLED_CHECK_CRON = "* * * * * */5"  # every 5 seconds (croniter's sixth field is seconds)
CLEANUP_CRON = "17 * * * *"  # hourly
KEEP_FINISHED_JOBS_HOURS = 24
RETRY = RetryStrategy(max_attempts=3, wait=5)
RUNTIME_KEY = "monitor_runtime"


def register_tasks(app: App) -> None:
    @app.task(name=POLL_SOURCE, pass_context=True, retry=RETRY)
    async def poll_source(context: JobContext, *, source: str, timestamp: int) -> None:
        await _runtime(context).poll(source_name=source, period_start=timestamp)

    @app.task(name=VISIT_PAGE, pass_context=True, retry=RETRY)
    async def visit_page(
        context: JobContext, *, sweep_id: int, timestamp: int, candidate: object
    ) -> None:
        await _runtime(context).visit(
            sweep_id=sweep_id, period_start=timestamp, candidate=candidate_from_json(candidate)
        )

    @app.task(name=CHECK_IMAGE, pass_context=True, retry=RETRY)
    async def check_image(
        context: JobContext, *, sweep_id: int, timestamp: int, candidate: object
    ) -> None:
        await _runtime(context).check(sweep_id=sweep_id, candidate=candidate_from_json(candidate))

    @app.task(name=DELIVER_ALERTS, pass_context=True, retry=RETRY)
    async def deliver_alerts(context: JobContext) -> None:
        await _runtime(context).deliver()

    @app.task(name=FOLLOW_THROUGH, pass_context=True, retry=RETRY)
    async def follow_through(context: JobContext) -> None:
        await _runtime(context).follow_through()

    @app.periodic(cron=STALLED_CHECK_CRON, periodic_id="stalled")
    @app.task(name=RETRY_STALLED_JOBS, queueing_lock=RETRY_STALLED_JOBS)
    async def retry_stalled_jobs(timestamp: int) -> None:
        stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER)
        for job in stalled:
            log.warning(
                "job %s (%s) was left by a worker that stopped answering; queued again",
                job.id,
                job.task_name,
            )
            await app.job_manager.retry_job(job)

    @app.periodic(cron=CLEANUP_CRON, periodic_id="cleanup")
    @app.task(name=REMOVE_OLD_JOBS, queueing_lock=REMOVE_OLD_JOBS)
    async def remove_old_jobs(timestamp: int) -> None:
        # Failed jobs stay for the operator to read; deduplication keys outlive their jobs.
        await app.job_manager.delete_old_jobs(nb_hours=KEEP_FINISHED_JOBS_HOURS)


def _runtime(context: JobContext) -> WorkerRuntime:
    runtime = (context.additional_context or {}).get(RUNTIME_KEY)
    if not isinstance(runtime, WorkerRuntime):
        raise RuntimeError("monitor task run outside `monitor worker`: no worker runtime")
    return runtime
