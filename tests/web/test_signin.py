"""Signing in and out: sessions in signed cookies, throttled failures, no open redirect."""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from monitor.store import Database
from tests.web.conftest import PASSWORD, Seeded, csrf_token, sign_in, web_client


def _post_login(client: TestClient, username: str, password: str, **extra: str) -> httpx.Response:
    token = csrf_token(client.get("/login").text)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, **extra}
    )


def test_pages_ask_for_sign_in_first(client: TestClient) -> None:
    response = client.get("/queue")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/queue"


def test_sign_in_sets_a_strict_http_only_secure_cookie(client: TestClient) -> None:
    client.get("/login")
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/queue"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "secure" in cookie
    assert PASSWORD not in response.headers["set-cookie"]
    assert "alice" in client.get("/queue").text


def test_a_wrong_password_and_an_unknown_name_fail_alike(client: TestClient) -> None:
    wrong = _post_login(client, "alice", "not the password at all")
    unknown = _post_login(client, "mallory", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong name or password." in wrong.text
    assert "Wrong name or password." in unknown.text
    assert client.get("/queue").status_code == 303


def test_repeated_failures_pause_sign_in_even_with_the_right_password(
    client: TestClient,
) -> None:
    for _attempt in range(5):
        assert _post_login(client, "alice", "guess guess guess").status_code == 401
    paused = _post_login(client, "alice", PASSWORD)
    assert paused.status_code == 429
    assert "Too many failed sign-ins" in paused.text
    assert client.get("/queue").status_code == 303
    sign_in(client, "bob")  # other accounts are not locked out by alice's failures


def test_a_tampered_or_foreign_cookie_is_no_session(db: Database, seeded: Seeded) -> None:
    with web_client(db) as first:
        sign_in(first, "root")
        cookie = first.cookies.get("monitor_session")
    assert cookie
    with web_client(db) as same:
        assert (
            same.get("/queue", headers={"cookie": f"monitor_session={cookie}"}).status_code == 200
        )
        tampered = cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")
        assert (
            same.get("/queue", headers={"cookie": f"monitor_session={tampered}"}).status_code == 303
        )
    with web_client(db, secret_key="another-secret-" * 3) as other:
        assert (
            other.get("/queue", headers={"cookie": f"monitor_session={cookie}"}).status_code == 303
        )


def test_sign_out_ends_every_session_of_the_account(db: Database, seeded: Seeded) -> None:
    with web_client(db) as phone, web_client(db) as laptop:
        sign_in(phone, "alice")
        token = sign_in(laptop, "alice")
        assert phone.get("/queue").status_code == 200
        response = laptop.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303
        assert laptop.get("/queue").status_code == 303
        assert phone.get("/queue").status_code == 303


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(
    client: TestClient, seeded: Seeded
) -> None:
    response = _post_login(client, "alice", PASSWORD, next=f"/sightings/{seeded.a[0]}")
    assert response.headers["location"] == f"/sightings/{seeded.a[0]}"
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"):
        client.cookies.clear()
        response = _post_login(client, "alice", PASSWORD, next=hostile)
        assert response.headers["location"] == "/queue"


def test_a_huge_password_or_name_fails_cleanly(client: TestClient) -> None:
    response = _post_login(client, "a" * 5000, "p" * 5000)
    assert response.status_code == 401
