"""Every form needs the session's CSRF token: a post without it, or with another session's,
changes nothing."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from monitor.store import Database
from monitor.store.review import get_sighting
from monitor.store.staff import find_login
from tests.web.conftest import PASSWORD, Seeded, csrf_token, sign_in, web_client

FORM_OF = {
    "/login": {"username": "root", "password": PASSWORD},
    "/logout": {},
    "/sightings/{sighting_id:int}/review": {"action": "confirm"},
    "/users/{username}/clients": {"client_id": "B-2", "action": "assign"},
}


def _post_routes(client: TestClient) -> list[str]:
    return [
        route.path
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.methods and "POST" in route.methods
    ]


def _url(path: str, seeded: Seeded) -> str:
    path = path.replace("{sighting_id:int}", str(seeded.a[0]))
    return re.sub(r"\{username\}", "alice", path)


def test_every_post_route_is_covered_here(client: TestClient) -> None:
    assert sorted(_post_routes(client)) == sorted(FORM_OF)


@pytest.mark.parametrize("token", [None, "", "forged-token", "x" * 5000])
def test_a_post_without_the_session_token_is_refused(
    db: Database, client: TestClient, seeded: Seeded, token: str | None
) -> None:
    sign_in(client, "root")
    for path in _post_routes(client):
        form = dict(FORM_OF[path])
        if token is not None:
            form["csrf_token"] = token
        response = client.post(_url(path, seeded), data=form)
        assert response.status_code == 403, path
        assert "did not come from this dashboard" in response.text
    assert get_sighting(db, seeded.a[0]).status == "new"
    alice = find_login(db, "alice")
    assert alice is not None
    assert alice.user.client_ids == ("A-1",)
    assert client.get("/queue").status_code == 200  # still signed in: the logout was refused


def test_another_sessions_token_is_refused(db: Database, seeded: Seeded) -> None:
    with web_client(db) as attacker, web_client(db) as victim:
        stolen = sign_in(attacker, "bob")
        sign_in(victim, "alice")
        response = victim.post(
            f"/sightings/{seeded.a[0]}/review", data={"action": "dismiss", "csrf_token": stolen}
        )
        assert response.status_code == 403
    assert get_sighting(db, seeded.a[0]).status == "new"


def test_sign_in_without_the_login_pages_token_is_refused(client: TestClient) -> None:
    response = client.post("/login", data={"username": "root", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/queue").status_code == 303


def test_signing_in_gives_a_new_token(client: TestClient) -> None:
    before = csrf_token(client.get("/login").text)
    after = sign_in(client, "alice")
    assert before != after
