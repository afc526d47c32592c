"""Throughput of the task queue: candidate images per second with 1, 2 and 4 `monitor worker`
processes on one loopback test web and one PostgreSQL (tests/pg_cluster.py).

    python -m tests.bench.workers [--workers 1 2 4] [--concurrency 4] [--distractors 200]

Each run gets a fresh database (empty digest cache), one scheduler and N workers, and times the
sweep from the first poll to the last task. Beside the throughput it prints where the CPU went
(workers, PostgreSQL, the loopback server in this process), which says what limits the scaling:
"busy cores" is the CPU the sweep got per second of it, "CPU-bound images/s" the rate this
machine's cores would allow if the sweep had them to itself.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from monitor.demo.server import ServedWeb, serve_web
from tests.pg_cluster import NO_POSTGRES_REASON, PostgresCluster, shared_cluster
from tests.worker_fleet import CrawlWeb, build_crawl_web, fleet, job_counts, prepare_database

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    workers: int
    seconds: float
    images: int
    pages: int
    worker_cpu: float
    postgres_cpu: float
    server_cpu: float

    @property
    def images_per_second(self) -> float:
        return self.images / self.seconds


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (and its waited-for children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / TICKS


def postgres_cpu(cluster: PostgresCluster) -> float:
    """CPU seconds of the cluster's postmaster and every backend it started."""
    postmaster = int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])
    total = process_cpu(postmaster)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == postmaster:
                total += process_cpu(int(entry.name))
    return total


def sweep_window(conninfo: str) -> float:
    """Seconds from the first job starting to the last work job finishing."""
    with psycopg.connect(conninfo) as connection:
        row = connection.execute(
            "SELECT extract(epoch FROM max(e.at) FILTER (WHERE e.type IN ('succeeded','failed'))"
            " - min(e.at) FILTER (WHERE e.type = 'started'))"
            " FROM procrastinate_events e JOIN procrastinate_jobs j ON j.id = e.job_id"
            " WHERE j.task_name IN ('monitor.poll_source', 'monitor.visit_page',"
            " 'monitor.check_image')"
        ).fetchone()
    if row is None or row[0] is None:
        raise RuntimeError("no sweep found in the queue's events")
    return float(row[0])


def run_once(cluster: PostgresCluster, web: CrawlWeb, *, workers: int, concurrency: int) -> Run:
    database = cluster.create_database()
    conninfo = cluster.admin_url(database)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-workers-") as folder,
            fleet(
                storage_url=cluster.url(database),
                workdir=Path(folder),
                web=web,
                notify="json://127.0.0.1:9/unused",
            ) as running,
        ):
            prepare_database(cluster.url(database), web)
            pids = [
                running.start(f"worker{n}", "worker", "--concurrency", str(concurrency)).pid
                for n in range(workers)
            ]
            time.sleep(3)  # let the workers import and register before the work arrives
            cpu_before = sum(process_cpu(pid) for pid in pids)
            pg_before = postgres_cpu(cluster)
            server_before = time.process_time()
            running.start("scheduler", "run")
            _wait_for_sweep(conninfo)
            worker_cpu = sum(process_cpu(pid) for pid in pids) - cpu_before
            pg_cpu = postgres_cpu(cluster) - pg_before
            server_cpu = time.process_time() - server_before
        counts = job_counts(conninfo)
        return Run(
            workers=workers,
            seconds=sweep_window(conninfo),
            images=counts.get(("monitor.check_image", "succeeded"), 0),
            pages=counts.get(("monitor.visit_page", "succeeded"), 0),
            worker_cpu=worker_cpu,
            postgres_cpu=pg_cpu,
            server_cpu=server_cpu,
        )
    finally:
        cluster.drop_database(database)


def _wait_for_sweep(conninfo: str, *, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = job_counts(conninfo)
        waiting = sum(
            count
            for (task, status), count in counts.items()
            if status in {"todo", "doing"} and task != "monitor.retry_stalled_jobs"
        )
        if counts.get(("monitor.poll_source", "succeeded")) and waiting == 0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"sweep not finished after {timeout} s: {counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--distractors", type=int, default=200)
    args = parser.parse_args()
    cluster = shared_cluster()
    if cluster is None:
        raise SystemExit(NO_POSTGRES_REASON)
    with serve_web(ServedWeb()) as served:
        web = build_crawl_web(served.base_url, distractors=args.distractors)
        served.routes.update(web.routes)
        print(
            f"test web: {len(web.page_urls)} pages, {len(web.image_urls)} images "
            f"({len(web.planted)} planted); {os.cpu_count()} CPU(s); "
            f"worker concurrency {args.concurrency}"
        )
        print(
            f"{'workers':>7} {'seconds':>8} {'images':>6} {'pages':>5} {'images/s':>9} "
            f"{'CPU s: workers':>14} {'postgres':>8} {'server':>6} {'busy cores':>10} "
            f"{'CPU ms/image':>12} {'CPU-bound images/s':>18}"
        )
        for workers in args.workers:
            run = run_once(cluster, web, workers=workers, concurrency=args.concurrency)
            cpu = run.worker_cpu + run.postgres_cpu + run.server_cpu
            per_image = cpu / run.images  # with its share of the pages around it
            print(
                f"{run.workers:>7} {run.seconds:>8.1f} {run.images:>6} {run.pages:>5} "
                f"{run.images_per_second:>9.1f} {run.worker_cpu:>14.1f} "
                f"{run.postgres_cpu:>8.1f} {run.server_cpu:>6.1f} {cpu / run.seconds:>10.2f} "
                f"{per_image * 1000:>12.0f} {(os.cpu_count() or 1) / per_image:>18.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
