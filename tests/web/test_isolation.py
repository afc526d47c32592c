"""A reviewer sees only the clients assigned to them: another client's sighting, reached by URL,
is a 404 exactly like one that does not exist; admin pages are 404 for reviewers."""

from __future__ import annotations

from starlette.testclient import TestClient

from monitor.store import Database
from monitor.store.review import get_sighting, status_history
from tests.web.conftest import Seeded, sign_in


def test_another_clients_sighting_is_not_found_like_a_missing_one(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "alice")
    other, missing = seeded.b[0], 999_999
    for path in ("/sightings/{}", "/sightings/{}/open/image", "/sightings/{}/open/page"):
        theirs = client.get(path.format(other))
        nothing = client.get(path.format(missing))
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.text == nothing.text
        assert "b-2.example" not in theirs.text


def test_a_reviewer_cannot_review_another_clients_sighting(
    db: Database, client: TestClient, seeded: Seeded
) -> None:
    token = sign_in(client, "alice")
    response = client.post(
        f"/sightings/{seeded.b[0]}/review", data={"action": "dismiss", "csrf_token": token}
    )
    assert response.status_code == 404
    assert get_sighting(db, seeded.b[0]).status == "new"
    assert status_history(db, seeded.b[0]) == []


def test_another_clients_overview_and_export_are_not_found(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "alice")
    clients = client.get("/clients").text
    assert 'href="/clients/A-1"' in clients
    assert "B-2" not in clients
    for path in (
        "/clients/B-2",
        "/clients/B-2/export.csv",
        "/clients/NOPE",
        "/clients/NOPE/export.csv",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert "B-2" not in response.text


def test_admin_pages_are_not_found_for_reviewers(client: TestClient, seeded: Seeded) -> None:
    token = sign_in(client, "alice")
    assert client.get("/users").status_code == 404
    assert client.get("/sources").status_code == 404
    response = client.post(
        "/users/alice/clients",
        data={"client_id": "B-2", "action": "assign", "csrf_token": token},
    )
    assert response.status_code == 404
    assert client.get(f"/sightings/{seeded.b[0]}").status_code == 404


def test_an_admin_sees_every_client(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "root")
    queue = client.get("/queue").text
    for sighting_id in (*seeded.a, *seeded.b):
        assert f'href="/sightings/{sighting_id}"' in queue
    assert client.get(f"/sightings/{seeded.b[0]}").status_code == 200
    assert client.get("/clients/B-2").status_code == 200


def test_hostile_ids_are_simply_not_found(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "root")
    for path in (
        "/sightings/99999999999999999999",
        "/sightings/-1",
        "/sightings/abc",
        "/sightings/0",
    ):
        assert client.get(path).status_code == 404
    assert client.get("/clients/" + "x" * 3000).status_code == 404
