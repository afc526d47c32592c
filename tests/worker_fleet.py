"""A crawl-sized test web and a fleet of `monitor run` / `monitor worker` processes on one
PostgreSQL database: shared by tests/test_workers.py and the benchmark tests/bench/workers.py.

The web: a board whose root links to sections, each section to ~20 pages (the sections
overlap, so pages are found more than once), each page showing a distractor and some pages a
planted re-upload of a drawn original (each on two pages). Nothing touches the disk but configs.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from monitor.demo.pictures import ALTERATIONS, draw_picture, encode
from monitor.demo.site import Route
from monitor.fingerprint import fingerprint_enrolled
from monitor.queue.app import install_queue
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from tests.conftest import ROOT, loopback_config

CLIENT_OF_ORIGINAL = ("case-a", "case-a", "case-b")
MAX_PIXELS = 50_000_000
WORK_TASKS = (
    "monitor.poll_source",
    "monitor.visit_page",
    "monitor.check_image",
    "monitor.deliver_alerts",
)


@dataclass(frozen=True)
class PlantedCopy:
    image_url: str
    client: str


@dataclass
class CrawlWeb:
    base_url: str
    originals: list[bytes]
    routes: dict[str, Route] = field(default_factory=dict)
    planted: list[PlantedCopy] = field(default_factory=list)
    page_urls: list[str] = field(default_factory=list)
    image_urls: list[str] = field(default_factory=list)


def build_crawl_web(
    base_url: str, *, sections: int = 12, pages_per_section: int = 20, distractors: int = 60
) -> CrawlWeb:
    base = base_url.rstrip("/")
    web = CrawlWeb(
        base_url=base,
        originals=[encode(draw_picture(seed), quality=92) for seed in range(3)],
    )
    planted_paths = []
    for index in range(len(web.originals)):
        for name, alteration in ALTERATIONS.items():
            path = _add_image(web, encode(alteration(draw_picture(index)), quality=85), name)
            planted_paths.append(path)
            web.planted.append(PlantedCopy(f"{base}{path}", CLIENT_OF_ORIGINAL[index]))
    distractor_paths = [
        _add_image(web, encode(draw_picture(1000 + number), quality=85), "other")
        for number in range(distractors)
    ]
    total_pages = sections * pages_per_section
    for number in range(total_pages):
        shown = [distractor_paths[number % distractors]]
        if number % 5 == 0:  # every planted copy on two pages, far apart
            shown.append(planted_paths[(number // 5) % len(planted_paths)])
        images = "".join(f'<img src="{path}" alt="">' for path in shown)
        _add_page(web, f"/p/{number}.html", f'{images}<a href="/p/{number + 1}.html">next</a>')
    for section in range(sections):
        first = section * pages_per_section
        listed = range(first, min(total_pages, first + pages_per_section + 5))
        links = "".join(f'<a href="/p/{number}.html">{number}</a>' for number in listed)
        _add_page(web, f"/s/{section}.html", links)
    _add_page(web, "/", "".join(f'<a href="/s/{s}.html">{s}</a>' for s in range(sections)))
    return web


def _add_image(web: CrawlWeb, body: bytes, label: str) -> str:
    path = f"/media/{label}-{hashlib.sha256(body).hexdigest()[:12]}.jpg"
    web.routes[path] = Route("image/jpeg", body)
    web.image_urls.append(f"{web.base_url}{path}")
    return path


def _add_page(web: CrawlWeb, path: str, body: str) -> None:
    html = f"<!doctype html><html><head><title>{path}</title></head><body>{body}</body></html>"
    web.routes[path] = Route("text/html; charset=utf-8", html.encode())
    web.page_urls.append(f"{web.base_url}{path}")


def fleet_config(*, storage_url: str, workdir: Path, web: CrawlWeb, notify: str) -> Path:
    text = loopback_config(
        storage_url=storage_url,
        sources=f"""
[[sources]]
name = "board"
kind = "pages"
urls = ["{web.base_url}/"]
depth = 2
every = "24h"
""",
        clients="\n".join(
            f'[[clients]]\nid = "{client}"\nnotify = ["{notify}"]\n'
            for client in sorted(set(CLIENT_OF_ORIGINAL))
        ),
    )
    config = workdir / "monitor.toml"
    config.write_text(text)
    return config


@dataclass
class Fleet:
    """`monitor` processes sharing one config; their output goes to files (never a full pipe)."""

    workdir: Path
    config: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def cli(self, *args: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "monitor", "--config", str(self.config), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            raise AssertionError(f"monitor {' '.join(args)}: {completed.stderr}")
        return completed.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(self.config), "-v", *args],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> dict[str, int]:
        """SIGTERM each process still running; their exit codes."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = process.wait()
        return codes


@contextmanager
def fleet(*, storage_url: str, workdir: Path, web: CrawlWeb, notify: str) -> Iterator[Fleet]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONITOR_", "PYTEST_"))}
    env.update({"PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "200"})
    config = fleet_config(storage_url=storage_url, workdir=workdir, web=web, notify=notify)
    running = Fleet(workdir=workdir, config=config, env=env)
    try:
        yield running
    finally:
        running.stop_all()


def prepare_database(storage_url: str, web: CrawlWeb) -> None:
    """What `monitor db upgrade`, `client add` and `enroll` do, in this process (faster)."""
    install_queue(storage_url)
    db = Database(storage_url)
    try:
        for client in sorted(set(CLIENT_OF_ORIGINAL)):
            add_client(db, client_id=client)
        for index, original in enumerate(web.originals):
            enroll_item(
                db,
                client_id=CLIENT_OF_ORIGINAL[index],
                hashes=fingerprint_enrolled(original, max_pixels=MAX_PIXELS),
                sha256=hashlib.sha256(original).hexdigest(),
                origin="image",
            )
    finally:
        db.dispose()


def job_counts(conninfo: str) -> dict[tuple[str, str], int]:
    """(task, status) -> number of jobs."""
    with psycopg.connect(conninfo) as connection:
        rows = connection.execute(
            "SELECT task_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2"
        ).fetchall()
    return {(task, status): count for task, status, count in rows}


def work_left(conninfo: str) -> int:
    counts = job_counts(conninfo)
    return sum(
        count
        for (task, status), count in counts.items()
        if task in WORK_TASKS and status in {"todo", "doing"}
    )


def wait_until_drained(conninfo: str, *, timeout: float, quiet_for: float = 2.0) -> float:
    """Seconds until no work task is waiting or running (and stays so for `quiet_for`)."""
    started = time.monotonic()
    quiet_since: float | None = None
    while time.monotonic() - started < timeout:
        if work_left(conninfo) == 0 and job_counts(conninfo):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet_for:
                return quiet_since - started
        else:
            quiet_since = None
        time.sleep(0.25)
    raise AssertionError(f"work still queued after {timeout} s: {job_counts(conninfo)}")
