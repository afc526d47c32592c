"""Work spread over processes: two schedulers and three workers on one PostgreSQL, one worker
killed with SIGKILL mid-sweep; every re-upload found once, alerted once, no task lost."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from monitor.demo.server import AlertReceiver, ServedWeb, serve_web
from tests.pg_cluster import PostgresCluster
from tests.worker_fleet import (
    CrawlWeb,
    build_crawl_web,
    fleet,
    job_counts,
    prepare_database,
    wait_until_drained,
)


@pytest.fixture
def database(postgres: PostgresCluster) -> Iterator[str]:
    name = postgres.create_database()
    yield name
    postgres.drop_database(name)


@pytest.fixture
def crawl_web() -> Iterator[tuple[ServedWeb, CrawlWeb]]:
    # Images answer slowly, so jobs are in flight on every worker when one is killed.
    with serve_web(ServedWeb(image_delay=0.3)) as served:
        web = build_crawl_web(served.base_url, sections=10, distractors=40)
        served.routes.update(web.routes)
        yield served, web


def _doing_by_worker(conninfo: str) -> dict[int, list[int]]:
    with psycopg.connect(conninfo) as connection:
        rows = connection.execute(
            "SELECT worker_id, id FROM procrastinate_jobs WHERE status = 'doing'"
            " AND worker_id IS NOT NULL AND task_name <> 'monitor.retry_stalled_jobs'"
        ).fetchall()
    doing: dict[int, list[int]] = {}
    for worker_id, job_id in rows:
        doing.setdefault(worker_id, []).append(job_id)
    return doing


def test_two_schedulers_three_workers_one_killed(
    postgres: PostgresCluster,
    database: str,
    crawl_web: tuple[ServedWeb, CrawlWeb],
    alert_receiver: AlertReceiver,
    tmp_path: Path,
) -> None:
    served, web = crawl_web
    conninfo = postgres.admin_url(database)
    with fleet(
        storage_url=postgres.url(database),
        workdir=tmp_path,
        web=web,
        notify=alert_receiver.apprise_url,
    ) as running:
        prepare_database(postgres.url(database), web)
        for number in range(3):
            running.start(f"worker{number}", "worker", "--concurrency", "4")
        running.start("scheduler0", "run")
        running.start("scheduler1", "run")

        # Mid-sweep: some images checked and every worker holding jobs. Kill one.
        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline, running.log("scheduler0") + running.log("worker0")
            counts = job_counts(conninfo)
            checked = counts.get(("monitor.check_image", "succeeded"), 0)
            # An alert being sent by the killed worker would wait out its outbox lease (minutes).
            delivering = counts.get(("monitor.deliver_alerts", "doing"), 0)
            if checked >= 3 and not delivering and len(_doing_by_worker(conninfo)) == 3:
                break
            time.sleep(0.1)
        victim = running.processes["worker0"]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        orphaned = [job for jobs in _doing_by_worker(conninfo).values() for job in jobs]

        wait_until_drained(conninfo, timeout=75)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if _undelivered(conninfo) == 0:
                break
            time.sleep(0.25)
        codes = running.stop_all()

    # Clean SIGTERM: every survivor exits 0.
    survivors = {name: code for name, code in codes.items() if name != "worker0"}
    assert survivors == dict.fromkeys(survivors, 0), {n: running.log(n)[-2000:] for n in codes}

    with psycopg.connect(conninfo) as connection:
        statuses = dict(
            connection.execute(
                "SELECT id, status::text FROM procrastinate_jobs WHERE id = ANY(%s)", (orphaned,)
            ).fetchall()
        )
        sightings = connection.execute(
            "SELECT client_id, image_url FROM sighting ORDER BY image_url"
        ).fetchall()
        visited = {
            row[0]
            for row in connection.execute(
                "SELECT url FROM url_state WHERE last_error IS NULL"
                " AND (images IS NOT NULL OR sha256 IS NOT NULL)"
            )
        }
        failed = connection.execute(
            "SELECT task_name, count(*) FROM procrastinate_jobs"
            " WHERE status NOT IN ('succeeded', 'todo') GROUP BY 1"
        ).fetchall()
    counts = job_counts(conninfo)

    # Every job running when a worker was killed (its own among them) finished: the killed
    # worker's were taken back by the others.
    assert set(statuses.values()) == {"succeeded"}, statuses
    assert "stopped answering" in running.log("worker1") + running.log("worker2")
    assert not failed, failed
    # No task lost: every page and every image of the web was looked at.
    assert set(web.page_urls) <= visited, sorted(set(web.page_urls) - visited)[:5]
    assert set(web.image_urls) <= visited, sorted(set(web.image_urls) - visited)[:5]
    # Two schedulers, one poll of the source for the period.
    assert counts[("monitor.poll_source", "succeeded")] == 1, counts
    # Every planted re-upload found exactly once, for its own client, and nothing else.
    expected = sorted((copy.client, copy.image_url) for copy in web.planted)
    assert sorted(sightings) == expected
    # Each sighting in exactly one alert: no duplicate, none missing.
    listed: list[str] = []
    announced = 0
    for message in alert_receiver.messages:
        listed += re.findall(r"Image: (\S+)", message["message"])
        announced += int(re.search(r"(\d+) new match", message["title"]).group(1))  # type: ignore[union-attr]
    assert announced == len(expected)
    assert sorted(listed) == sorted(url for _client, url in expected)
    assert served.requests  # the web was really fetched over loopback


def _undelivered(conninfo: str) -> int:
    with psycopg.connect(conninfo) as connection:
        row = connection.execute(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL"
        ).fetchone()
    return int(row[0]) if row else 0
