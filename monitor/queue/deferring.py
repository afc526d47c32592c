"""Deferring the monitor's tasks, each at most once where the guarantees say so.

- A poll of a source is deferred once per (source, period), however many schedulers run: the
  key goes through procrastinate's periodic-defer table, unique in the database. Its queueing
  lock keeps a source from piling up polls while workers are behind, and its lock keeps two
  polls of one source from running at once.
- A page or image is deferred once per (source, URL, period): links found on many pages of a
  sweep become one task each, so a crawl never grows by the number of paths to a page.
- Alert delivery is deferred with a queueing lock: at most one delivery waits at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import asdict
from typing import Any, get_args

from procrastinate import App
from procrastinate.exceptions import AlreadyEnqueued

from monitor.errors import InputError
from monitor.sources.base import Candidate, CandidateKind

POLL_SOURCE = "monitor.poll_source"
VISIT_PAGE = "monitor.visit_page"
CHECK_IMAGE = "monitor.check_image"
DELIVER_ALERTS = "monitor.deliver_alerts"
FOLLOW_THROUGH = "monitor.follow_through"
RETRY_STALLED_JOBS = "monitor.retry_stalled_jobs"
REMOVE_OLD_JOBS = "monitor.remove_old_jobs"
MAX_DEPTH = 1000  # far beyond any config; a bigger number is not a candidate we deferred
_KINDS: dict[str, CandidateKind] = {kind: kind for kind in get_args(CandidateKind)}


class TaskQueue:
    def __init__(self, app: App) -> None:
        self._app = app

    async def defer_poll(self, *, source: str, period_start: int) -> int | None:
        """The job id, or None when this period's poll was deferred already (by anyone) or a
        poll of this source is still waiting for a worker."""
        deferrer = self._app.configure_task(
            POLL_SOURCE,
            lock=f"poll:{source}",
            queueing_lock=f"poll:{source}",
            task_kwargs={"source": source, "timestamp": period_start},
        )
        try:
            return await self._app.job_manager.defer_periodic_job(
                deferrer.job, periodic_id=f"source:{source}", defer_timestamp=period_start
            )
        except AlreadyEnqueued:
            return None

    async def defer_candidate(
        self, *, sweep_id: int, period_start: int, candidate: Candidate
    ) -> bool:
        """Queue a page visit or image check; False when this sweep period has it already."""
        task = VISIT_PAGE if candidate.kind == "page" else CHECK_IMAGE
        url_key = hashlib.sha256(candidate.url.encode("utf-8")).hexdigest()[:48]
        deferrer = self._app.configure_task(
            task,
            task_kwargs={
                "sweep_id": sweep_id,
                "timestamp": period_start,
                "candidate": candidate_to_json(candidate),
            },
        )
        job_id = await self._app.job_manager.defer_periodic_job(
            deferrer.job, periodic_id=f"{candidate.source}:{url_key}", defer_timestamp=period_start
        )
        return job_id is not None

    async def defer_delivery(self) -> None:
        # When a delivery is waiting already, it will take these alerts too.
        deferrer = self._app.configure_task(DELIVER_ALERTS, queueing_lock=DELIVER_ALERTS)
        with contextlib.suppress(AlreadyEnqueued):
            await deferrer.defer_async()

    async def defer_follow_through(self) -> None:
        """Re-checks, their alerts and captures: one run waiting at a time is enough."""
        deferrer = self._app.configure_task(FOLLOW_THROUGH, queueing_lock=FOLLOW_THROUGH)
        with contextlib.suppress(AlreadyEnqueued):
            await deferrer.defer_async()


def candidate_to_json(candidate: Candidate) -> dict[str, Any]:
    return asdict(candidate)


def candidate_from_json(data: object) -> Candidate:
    """The candidate a task was deferred with; a malformed one fails this task alone."""
    if not isinstance(data, dict):
        raise InputError(f"task argument 'candidate' is not an object: {data!r:.200}")
    kind = _KINDS.get(str(data.get("kind")))
    texts = [data.get(key) for key in ("url", "source", "page_url")]
    if kind is None or not all(isinstance(text, str) for text in texts):
        raise InputError(f"task argument 'candidate' is malformed: {data!r:.200}")
    numbers = [data.get(key, 0) for key in ("depth", "pages_left")]
    if not all(type(number) is int and 0 <= number <= MAX_DEPTH for number in numbers):
        raise InputError(f"task argument 'candidate' has a bad depth: {data!r:.200}")
    return Candidate(
        url=str(data["url"]),
        kind=kind,
        source=str(data["source"]),
        page_url=str(data["page_url"]),
        depth=int(data.get("depth", 0)),
        pages_left=int(data.get("pages_left", 0)),
    )
