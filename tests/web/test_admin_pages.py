"""Admin pages: assigning clients to reviewers, source health, and each client's overview."""

from __future__ import annotations

import json
from datetime import timedelta

from starlette.testclient import TestClient

from monitor.store import Database
from monitor.store.crawl import finish_sweep, start_sweep
from monitor.store.records import SweepSummary
from tests.web.conftest import T0, Seeded, sign_in


def test_an_admin_assigns_a_client_and_the_reviewer_sees_it(
    db: Database, client: TestClient, seeded: Seeded
) -> None:
    token = sign_in(client, "root")
    response = client.post(
        "/users/alice/clients", data={"client_id": "B-2", "action": "assign", "csrf_token": token}
    )
    assert response.status_code == 303
    assert "B-2" in client.get("/users").text
    client.cookies.clear()
    sign_in(client, "alice")
    assert client.get(f"/sightings/{seeded.b[0]}").status_code == 200


def test_assigning_an_unknown_client_says_so(client: TestClient, seeded: Seeded) -> None:
    token = sign_in(client, "root")
    response = client.post(
        "/users/alice/clients", data={"client_id": "NOPE", "action": "assign", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "no client &#39;NOPE&#39;" in response.text


def test_unassigning_takes_the_client_away(client: TestClient, seeded: Seeded) -> None:
    token = sign_in(client, "root")
    client.post(
        "/users/alice/clients",
        data={"client_id": "A-1", "action": "unassign", "csrf_token": token},
    )
    client.cookies.clear()
    sign_in(client, "alice")
    assert client.get(f"/sightings/{seeded.a[0]}").status_code == 404
    assert "Nothing waiting for review." in client.get("/queue").text


def test_source_health_shows_failing_and_never_run_sources(
    db: Database, client: TestClient, seeded: Seeded
) -> None:
    sweep = start_sweep(db, source="board", at=T0)
    summary = SweepSummary(
        source="board",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=3),
        candidates=0,
        pages=0,
        images=0,
        new_sightings=0,
        failures=0,
        error="feed gone: 404",
    )
    finish_sweep(db, sweep_id=sweep, summary=summary)
    sign_in(client, "root")
    page = client.get("/sources").text
    assert "failed 1 in a row" in page
    assert "feed gone: 404" in page
    assert "never run" in page  # "alerts" never ran


def test_a_clients_overview_counts_each_status(client: TestClient, seeded: Seeded) -> None:
    token = sign_in(client, "alice")
    client.post(f"/sightings/{seeded.a[0]}/review", data={"action": "dismiss", "csrf_token": token})
    page = client.get("/clients/A-1").text
    assert "new: 1, confirmed: 0, reported: 0, dismissed: 1" in page
    assert 'href="/clients/A-1/export.pdf"' in page


def test_the_incident_log_downloads_for_a_visible_client(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "alice")
    response = client.get("/clients/A-1/export.json")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="incident-log-A-1-'
    )
    document = response.json()
    urls = json.dumps(document)
    assert "https://a-1.example/1.jpg" in urls
    assert "b-2.example" not in urls
    csv = client.get("/clients/A-1/export.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert "a-1.example/thread/1" in csv.text
    assert client.get("/clients/A-1/export.exe").status_code == 404
