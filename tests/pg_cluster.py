"""A real PostgreSQL 15 cluster for the tests: initdb + pg_ctl in a temp dir on a loopback port.

One cluster per test session (started on first use, stopped at exit). A test gets a database at
the newest schema with every table emptied (`fresh_database`: TRUNCATE takes milliseconds where
CREATE DATABASE takes 0.4 s), or a new empty one (`create_database`) to migrate itself.
PostgreSQL refuses to run as root, so as root the binaries run as the `postgres` system user.
"""

from __future__ import annotations

import atexit
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from monitor.store.database import upgrade_database

BIN_DIRS = (Path("/usr/lib/postgresql/15/bin"),)
TEMPLATE = "monitor_template"
SHARED = "monitor_tests"


def postgres_bin_dir() -> Path | None:
    for folder in BIN_DIRS:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


NO_POSTGRES_REASON = "no PostgreSQL binaries (initdb, pg_ctl) in " + ", ".join(map(str, BIN_DIRS))


@dataclass
class PostgresCluster:
    bin_dir: Path
    folder: Path
    port: int
    _as_user: list[str]
    _names = itertools.count(1)

    def admin_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL the monitor's config takes."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """The shared test database at the newest schema, every table emptied and ids reset."""
        with psycopg.connect(self.admin_url(SHARED), autocommit=True) as connection:
            connection.execute("SET lock_timeout = '10s'")
            tables = [
                row[0]
                for row in connection.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            ]
            listed = ", ".join(f'"{table}"' for table in tables)
            connection.execute(f"TRUNCATE {listed} RESTART IDENTITY CASCADE")
        return SHARED

    def create_database(self, *, migrated: bool = True) -> str:
        """A new database without rows; at the newest schema unless `migrated` is False."""
        name = f"t{os.getpid()}_{next(self._names)}"
        template = TEMPLATE if migrated else "template0"
        with psycopg.connect(self.admin_url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE {template}')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )


def start_cluster(bin_dir: Path) -> PostgresCluster:
    folder = Path(tempfile.mkdtemp(prefix="monitor-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(folder, postgres.pw_uid, postgres.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *as_user,
            str(bin_dir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    cluster = PostgresCluster(bin_dir=bin_dir, folder=folder, port=_free_port(), _as_user=as_user)
    # Durability is worthless for throwaway test data; these settings make it fast on 2 cores.
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={cluster.port} -c unix_socket_directories={folder}"
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    cluster._pg_ctl("start", "-w", "-t", "60", "-l", str(folder / "log"), "-o", options)
    with psycopg.connect(cluster.admin_url(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {TEMPLATE}")
    upgrade_database(cluster.url(TEMPLATE))
    with psycopg.connect(cluster.admin_url(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {SHARED} TEMPLATE {TEMPLATE}")
    return cluster


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_cluster: PostgresCluster | None = None


def shared_cluster() -> PostgresCluster | None:
    """The session's cluster, started on first call; None where PostgreSQL is not installed."""
    global _cluster
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        return None
    if _cluster is None:
        _cluster = start_cluster(bin_dir)
        atexit.register(_cluster.stop)
    return _cluster
