from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy import make_url

from monitor.errors import InputError
from monitor.queue.app import build_app
from monitor.queue.deferring import (
    CHECK_IMAGE,
    DELIVER_ALERTS,
    POLL_SOURCE,
    VISIT_PAGE,
    TaskQueue,
    candidate_from_json,
    candidate_to_json,
)
from monitor.sources.base import Candidate, CandidateKind

PAGE = Candidate(url="http://127.0.0.1:9/a.html", kind="page", source="board", page_url="x")


@pytest.fixture
async def queue(queue_url: str) -> AsyncIterator[TaskQueue]:
    app = build_app(queue_url, pool_size=2)
    async with app.open_async():
        yield TaskQueue(app)


def _jobs(queue_url: str) -> list[tuple[str, str, dict[str, object]]]:
    conninfo = make_url(queue_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as connection:
        return [
            (task, status, args)
            for task, status, args in connection.execute(
                "SELECT task_name, status::text, args FROM procrastinate_jobs ORDER BY id"
            )
        ]


async def test_two_schedulers_defer_one_poll_per_source_and_period(
    queue: TaskQueue, queue_url: str
) -> None:
    first = await queue.defer_poll(source="board", period_start=1_800_000_000)
    second = await queue.defer_poll(source="board", period_start=1_800_000_000)
    other_source = await queue.defer_poll(source="feed", period_start=1_800_000_000)
    assert first is not None
    assert second is None
    assert other_source is not None
    polls = [job for job in _jobs(queue_url) if job[0] == POLL_SOURCE]
    assert [args["source"] for _task, _status, args in polls] == ["board", "feed"]


async def test_next_period_waits_while_the_last_poll_of_the_source_is_queued(
    queue: TaskQueue, queue_url: str
) -> None:
    assert await queue.defer_poll(source="board", period_start=1_800_000_000) is not None
    # Workers are behind: no second poll of the same source piles up behind the first...
    assert await queue.defer_poll(source="board", period_start=1_800_003_600) is None
    # ...and the refused period is not marked as deferred: it is deferred once the first ran.
    conninfo = make_url(queue_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as connection:
        connection.execute("UPDATE procrastinate_jobs SET status = 'succeeded'")
    assert await queue.defer_poll(source="board", period_start=1_800_003_600) is not None


async def test_a_candidate_is_queued_once_per_sweep_period(
    queue: TaskQueue, queue_url: str
) -> None:
    image = Candidate(url="http://127.0.0.1:9/i.jpg", kind="image", source="board", page_url="p")
    assert await queue.defer_candidate(sweep_id=1, period_start=100, candidate=PAGE) is True
    assert await queue.defer_candidate(sweep_id=1, period_start=100, candidate=PAGE) is False
    assert await queue.defer_candidate(sweep_id=1, period_start=100, candidate=image) is True
    assert await queue.defer_candidate(sweep_id=2, period_start=200, candidate=PAGE) is True
    tasks = [task for task, _status, _args in _jobs(queue_url)]
    assert tasks == [VISIT_PAGE, CHECK_IMAGE, VISIT_PAGE]


async def test_a_very_long_url_is_keyed_by_its_digest(queue: TaskQueue) -> None:
    long_page = Candidate(
        url="http://127.0.0.1:9/" + "a" * 5000, kind="page", source="board", page_url="x"
    )
    assert await queue.defer_candidate(sweep_id=1, period_start=1, candidate=long_page)
    assert not await queue.defer_candidate(sweep_id=1, period_start=1, candidate=long_page)


async def test_at_most_one_delivery_waits(queue: TaskQueue, queue_url: str) -> None:
    for _ in range(3):
        await queue.defer_delivery()
    assert [task for task, _s, _a in _jobs(queue_url)] == [DELIVER_ALERTS]


@pytest.mark.parametrize("kind", ["page", "image", "video"])
def test_candidate_round_trips_through_json(kind: CandidateKind) -> None:
    candidate = Candidate(
        url="http://127.0.0.1:9/a.html",
        kind=kind,
        source="board",
        page_url="http://127.0.0.1:9/a.html",
        depth=2,
        pages_left=3,
    )
    assert candidate_from_json(candidate_to_json(candidate)) == candidate


@pytest.mark.parametrize(
    "data",
    [
        None,
        "http://x/",
        [],
        {"url": "http://x/", "kind": "audio", "source": "s", "page_url": "p"},
        {"url": 3, "kind": "page", "source": "s", "page_url": "p"},
        {"kind": "page", "source": "s", "page_url": "p"},
        {"url": "u", "kind": "page", "source": "s", "page_url": "p", "depth": -1},
        {"url": "u", "kind": "page", "source": "s", "page_url": "p", "depth": "9" * 400},
        {"url": "u", "kind": "page", "source": "s", "page_url": "p", "pages_left": True},
    ],
)
def test_malformed_candidate_fails_alone_with_a_reason(data: object) -> None:
    with pytest.raises(InputError, match="candidate"):
        candidate_from_json(data)
