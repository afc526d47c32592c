"""Fixtures shared by the whole suite: the loopback sample web, alert receivers, configs, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.demo.server import AlertReceiver, ServedWeb, serve_alert_receiver, serve_web
from monitor.demo.site import SampleSite, build_site
from tests.pg_cluster import NO_POSTGRES_REASON, PostgresCluster, shared_cluster

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SampleWeb:
    served: ServedWeb
    site: SampleSite


@pytest.fixture
def sample_web() -> Iterator[SampleWeb]:
    with serve_web(ServedWeb()) as served:
        site = build_site(served.base_url)
        served.routes.update(site.routes)
        yield SampleWeb(served=served, site=site)


@pytest.fixture
def alert_receiver() -> Iterator[AlertReceiver]:
    with serve_alert_receiver() as receiver:
        yield receiver


@pytest.fixture
def second_alert_receiver() -> Iterator[AlertReceiver]:
    with serve_alert_receiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def postgres() -> PostgresCluster:
    """The session's PostgreSQL cluster; tests that need it skip where PostgreSQL is missing."""
    cluster = shared_cluster()
    if cluster is None:
        pytest.skip(NO_POSTGRES_REASON)
    return cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """`storage.url` for a test that must hold on both databases: a new SQLite file, or the
    shared PostgreSQL test database at the newest schema with every table emptied (what
    `monitor db upgrade` leaves on a new PostgreSQL database)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.url(cluster.fresh_database())


def loopback_config(
    *,
    sources: str,
    storage_url: str | None = None,
    database: Path | None = None,
    extra: str = "",
    clients: str = "",
) -> str:
    """A config for tests: loopback allowed, no politeness delay, no scheduling jitter.

    The database is `storage_url`, or the SQLite file `database`."""
    if (storage_url is None) == (database is None):
        raise TypeError("give either storage_url or database")
    url = storage_url if storage_url is not None else f"sqlite:///{database}"
    return f"""
[storage]
url = "{url}"

[fetch]
allow_private_addresses = true
per_host_delay = 0.0
per_host_concurrency = 8
total_timeout = 5.0
connect_timeout = 2.0

[scan]
jitter = "1s"
{extra}
{clients}
{sources}
"""


def sample_sources(site: SampleSite, *, every: str = "30m") -> str:
    return f"""
[[sources]]
name = "board"
kind = "pages"
urls = ["{site.pages_root}"]
depth = 1
every = "{every}"

[[sources]]
name = "alerts"
kind = "feed"
url = "{site.feed_url}"
every = "{every}"
"""


@dataclass(frozen=True)
class CliResult:
    code: int
    stdout: str
    stderr: str


@dataclass
class Cli:
    """Runs `python -m monitor` in a subprocess, as a user would, in a private working folder."""

    cwd: Path
    env: dict[str, str]

    def __call__(self, *args: str, check: bool = True, timeout: float = 300) -> CliResult:
        completed = subprocess.run(
            [sys.executable, "-m", "monitor", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = CliResult(completed.returncode, completed.stdout, completed.stderr)
        if check and completed.returncode != 0:
            raise AssertionError(
                f"monitor {' '.join(args)} exited {completed.returncode}\n"
                f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
            )
        return result

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", *args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    work = tmp_path / "work"
    work.mkdir()
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MONITOR_", "PYTEST_"))
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "TMPDIR": str(private_tmp),
            "HOME": str(tmp_path / "home"),
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
    )
    return Cli(cwd=work, env=env)
