"""The dashboard in a real headless Chromium, against `monitor web` started as a user would:
sign in, open a sighting, confirm it and see it leave the queue; a reviewer of another client
gets "not found" for it by URL.

Debian's chromium driven by Playwright (`executable_path`); Playwright's own browser download
is never used. Skipped when /usr/bin/chromium or the playwright package is missing.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from monitor.store import open_database
from tests.cli import write_config
from tests.conftest import Cli
from tests.web.conftest import PASSWORD, Seeded, seed

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECRET = "browser-test-secret-" * 3

if not CHROMIUM.is_file():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (Debian: apt install chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing")


@dataclass(frozen=True)
class RunningDashboard:
    base_url: str
    seeded: Seeded


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"monitor web exited: {process.communicate()[1]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("monitor web did not answer within 60 s")


@pytest.fixture
def dashboard(cli: Cli, password_hash: str) -> Iterator[RunningDashboard]:
    write_config(cli, extra='[web]\nsecret_key = "${MONITOR_WEB_SECRET}"\n')
    cli.env["MONITOR_WEB_SECRET"] = SECRET
    db = open_database(f"sqlite:///{cli.cwd / 'monitor.db'}")
    seeded = seed(db, password_hash)
    db.dispose()
    port = _free_port()
    process = cli.popen("web", "--host", "127.0.0.1", "--port", str(port))
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{base_url}/login", process)
        yield RunningDashboard(base_url=base_url, seeded=seeded)
    finally:
        process.terminate()
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/queue")
    assert page.url.startswith(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{base_url}/queue")


@pytest.mark.slow
def test_sign_in_review_and_confirm_a_sighting_in_chromium(
    dashboard: RunningDashboard, browser: Browser
) -> None:
    base, first, second = dashboard.base_url, *dashboard.seeded.a
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, base, "alice")
    assert page.locator(f"#sighting-{first}").is_visible()
    assert page.locator(f"#sighting-{second}").is_visible()

    page.click(f"a[href='/sightings/{first}']")
    page.wait_for_url(f"{base}/sightings/{first}")
    assert page.locator("img").count() == 0
    assert "https://a-1.example/1.jpg" in page.inner_text("main")

    page.click(f"a[href='/sightings/{first}/open/image']")
    link = page.locator("a.open")
    assert "may show the matched intimate picture" in page.inner_text("main")
    assert link.get_attribute("rel") == "noreferrer noopener"
    assert link.get_attribute("target") == "_blank"
    page.go_back()  # never follow it: the test must not reach the internet

    page.fill("input[name=note]", "her photo")
    page.click("button[value=confirm]")
    page.wait_for_url(f"{base}/queue?changed={first}&status=confirmed")
    assert f"Sighting {first} is now confirmed." in page.inner_text("main")
    assert page.locator(f"#sighting-{first}").count() == 0
    assert page.locator(f"#sighting-{second}").is_visible()

    response = page.goto(f"{base}/sightings/{first}")
    assert response is not None
    assert "img-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "new → confirmed" in page.inner_text("main")
    assert "her photo" in page.inner_text("main")
    [cookie] = context.cookies()
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    context.close()


@pytest.mark.slow
def test_a_reviewer_cannot_reach_another_clients_sighting_by_url(
    dashboard: RunningDashboard, browser: Browser
) -> None:
    base = dashboard.base_url
    context = browser.new_context()
    page = context.new_page()
    _sign_in(page, base, "bob")
    assert page.locator(f"#sighting-{dashboard.seeded.b[0]}").is_visible()
    assert page.locator(f"#sighting-{dashboard.seeded.a[0]}").count() == 0
    for path in (f"/sightings/{dashboard.seeded.a[0]}", "/clients/A-1", "/users"):
        response = page.goto(f"{base}{path}")
        assert response is not None
        assert response.status == 404, path
        assert "There is nothing here" in page.inner_text("main")
        assert "a-1.example" not in page.content()
    context.close()
