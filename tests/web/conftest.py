"""The dashboard under test: a database with two clients and their sightings, three accounts
(an admin, a reviewer of each client), on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from starlette.testclient import TestClient

from monitor.fingerprint.hashes import Hash
from monitor.store import Database, open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.sightings import record_sighting
from monitor.store.staff import add_staff_user
from monitor.web.app import create_app
from monitor.web.passwords import Passwords
from monitor.web.settings import WebSettings
from tests.pg_cluster import PostgresCluster

PASSWORD = "correct horse battery staple"
SECRET = "s" * 40
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        database = open_database(cluster.url(cluster.fresh_database()))
    yield database
    database.dispose()


# argon2 is slow on purpose; the tests use its cheapest parameters (the real cost is the
# library's default, which `monitor user add` uses).
CHEAP_PASSWORDS = Passwords(PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture(scope="session")
def password_hash() -> str:
    return CHEAP_PASSWORDS.hash(PASSWORD)


@dataclass(frozen=True)
class Seeded:
    """Sighting ids per client: `a` and `b` each have two new sightings."""

    a: tuple[int, int]
    b: tuple[int, int]


def record(db: Database, *, client_id: str, item_id: int, number: int, **extra: object) -> int:
    url = f"https://{client_id.lower()}.example/{number}.jpg"
    fields: dict[str, object] = {
        "client_id": client_id,
        "item_id": item_id,
        "image_url": url,
        "page_url": f"https://{client_id.lower()}.example/thread/{number}",
        "final_url": url,
        "source": "board",
        "seen_at": T0 + timedelta(minutes=number),
        "distance": 3,
        "algorithm": "pdq",
        "sha256": "d" * 64,
        "http_status": 200,
    }
    fields.update(extra)
    takedown = str(fields.pop("takedown_url", "https://report.example/form"))
    observation = Observation(**fields)  # type: ignore[arg-type]
    return record_sighting(db, observation=observation, takedown_url=takedown).sighting.id


def seed(db: Database, password_hash: str) -> Seeded:
    ids: dict[str, list[int]] = {}
    for client_id in ("A-1", "B-2"):
        add_client(db, client_id=client_id)
        item = enroll_item(
            db, client_id=client_id, hashes=[Hash("pdq", "c" * 64)], sha256=None, origin="import"
        ).item_id
        ids[client_id] = [record(db, client_id=client_id, item_id=item, number=n) for n in (1, 2)]
    add_staff_user(db, username="root", password_hash=password_hash, role="admin")
    for name, client_id in (("alice", "A-1"), ("bob", "B-2")):
        add_staff_user(
            db, username=name, password_hash=password_hash, role="reviewer", client_ids=[client_id]
        )
    a, b = ids["A-1"], ids["B-2"]
    return Seeded(a=(a[0], a[1]), b=(b[0], b[1]))


@pytest.fixture
def seeded(db: Database, password_hash: str) -> Seeded:
    return seed(db, password_hash)


def web_client(db: Database, **settings: object) -> TestClient:
    web = WebSettings.model_validate({"secret_key": SECRET, **settings})
    app = create_app(
        database=db, settings=web, source_names=["board", "alerts"], passwords=CHEAP_PASSWORDS
    )
    # https: the session cookie is Secure, so the test client sends it only over https.
    return TestClient(app, base_url="https://testserver", follow_redirects=False)


@pytest.fixture
def client(db: Database, seeded: Seeded) -> Iterator[TestClient]:
    with web_client(db) as test_client:
        yield test_client


def csrf_token(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found is not None, html
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token for later posts."""
    page = client.get("/login")
    assert page.status_code == 200
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 303, response.text
    return csrf_token(client.get("/queue").text)
