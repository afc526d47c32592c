"""Takedown requests: each route's text, whose details appear where, and hostile templates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.alerts.takedown import TakedownRegistry, TakedownRoute
from monitor.errors import ConfigError, InputError
from monitor.store.records import Sighting
from monitor.takedown.render import (
    PLACEHOLDERS,
    TakedownRequest,
    builtin_template_names,
    prepare_request,
)
from monitor.takedown.routes import ROUTES, Delivery, default_route
from monitor.takedown.settings import RequesterDetails

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
SIGHTING = Sighting(
    id=7,
    client_id="K-17",
    item_id=3,
    image_url="https://cdn.files.example/i/abc.jpg",
    page_url="https://www.files.example/thread/42",
    final_url="https://cdn.files.example/i/abc.jpg",
    source="board",
    first_seen=datetime(2026, 11, 20, 8, 0, 5, tzinfo=UTC),
    last_seen=datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
    times_seen=3,
    distance=4,
    algorithm="pdq",
    sha256="ab" * 32,
    http_status=200,
    headers={},
    status="confirmed",
    takedown_url="mailto:abuse@files.example",
)
ME = RequesterDetails(
    name="Jane Q. Example",
    email="jane@mail.example",
    address="1 Main St, Springfield",
    phone="+1 555 0100",
    signature="/Jane Q. Example/",
)


def _request(
    route: str | None,
    *,
    sighting: Sighting = SIGHTING,
    registry: TakedownRegistry | None = None,
    requester: RequesterDetails | None = None,
    templates: Path | None = None,
) -> TakedownRequest:
    return prepare_request(
        sighting=sighting,
        route=route,
        registry=registry or TakedownRegistry(),
        requester=requester,
        templates_dir=templates,
        now=NOW,
    )


def test_every_route_renders_with_the_urls_time_and_digest() -> None:
    assert builtin_template_names() == sorted(f"{name}.txt" for name in ROUTES)
    for route in ROUTES:
        request = _request(route)
        assert request.route == route
        assert request.subject
        assert "\n" not in request.subject
        assert SIGHTING.page_url in request.body
        assert SIGHTING.image_url in request.body
        assert "2026-11-20T08:00:05Z" in request.body, route
        assert "{{" not in request.body
        assert "{%" not in request.body


def test_personal_details_appear_only_for_the_route_they_were_given_for() -> None:
    without = _request("dmca")
    assert PLACEHOLDERS["name"] in without.body
    assert PLACEHOLDERS["address"] in without.body
    assert "Jane" not in without.body

    with_details = _request("dmca", requester=ME)
    for value in ("Jane Q. Example", "jane@mail.example", "1 Main St", "+1 555 0100"):
        assert value in with_details.body
    assert "[your" not in with_details.body
    assert "2026-11-22" in with_details.body  # dated today


def test_dmca_carries_the_warning_and_the_statutory_statements() -> None:
    request = _request("dmca")
    assert request.warning is not None
    assert "published" in request.warning
    assert "name" in request.warning
    assert "good faith belief" in request.body
    assert "penalty of perjury" in request.body
    for route in ROUTES:
        if route != "dmca":
            assert ROUTES[route].warning is None


def test_japan_request_names_the_two_day_period_and_refuses_name_disclosure() -> None:
    request = _request("japan")
    assert "送信防止措置" in request.subject
    assert "2日" in request.body
    assert "私事性的画像記録" in request.body
    assert "氏名を開示することには同意しません" in request.body


def test_default_route_is_the_platform_report_where_the_site_has_one() -> None:
    registry = TakedownRegistry()
    on_reddit = replace(
        SIGHTING,
        page_url="https://www.reddit.com/r/x/comments/1",
        image_url="https://i.redd.it/a.jpg",
    )
    assert default_route(on_reddit, registry) == "platform"
    request = _request(None, sighting=on_reddit, registry=registry)
    assert request.destination.delivery is Delivery.FORM
    assert request.destination.address == "https://www.reddit.com/report"

    assert default_route(SIGHTING, registry) == "email"
    request = _request(None, registry=registry)
    assert request.destination.delivery is Delivery.EMAIL
    assert request.destination.address == "abuse@files.example"


def test_a_configured_route_for_the_site_becomes_its_platform_route() -> None:
    registry = TakedownRegistry(
        [
            TakedownRoute(
                domains=["files.example"], name="Files: report form", url="https://files.example/r"
            )
        ]
    )
    assert default_route(SIGHTING, registry) == "platform"
    request = _request("platform", registry=registry)
    assert request.destination.address == "https://files.example/r"
    assert request.destination.via == "Files: report form"


def test_search_routes_go_to_the_search_engines_forms() -> None:
    for route, host in (("google-delisting", "google.com"), ("bing-delisting", "microsoft.com")):
        request = _request(route)
        assert request.destination.delivery is Delivery.FORM
        assert host in request.destination.address


def test_an_edited_template_replaces_the_built_in_one(tmp_path: Path) -> None:
    (tmp_path / "email.txt").write_text(
        "Subject: Please remove {{ site }}\n\nOur own words about {{ page_url }}.\n{{ name }}\n",
        encoding="utf-8",
    )
    request = _request("email", requester=ME, templates=tmp_path)
    assert request.subject == "Please remove files.example"
    assert request.body == f"Our own words about {SIGHTING.page_url}.\nJane Q. Example\n"
    # Routes without an edited file keep the built-in text.
    dmca = _request("dmca", templates=tmp_path)
    assert "17 U.S.C." in dmca.body


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Subject: x\n\n{{ victim_name }}\n", "victim_name"),
        ("Subject: x\n\n{% if %}\n", "line 3"),
        ("No subject line\n\nbody\n", "Subject:"),
        ("Subject: x\n\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n", "takedown template"),
    ],
)
def test_a_broken_or_hostile_template_is_one_clear_error(
    tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "email.txt").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        _request("email", templates=tmp_path)
    assert expected in str(raised.value)
    assert "email.txt" in str(raised.value)


def test_template_syntax_in_a_hostile_url_is_printed_not_run() -> None:
    hostile = replace(
        SIGHTING,
        page_url="https://evil.example/{{ 7*7 }}/{% raw %}",
        image_url="https://evil.example/{{ config }}.jpg",
    )
    request = _request("email", sighting=hostile)
    assert "https://evil.example/{{ 7*7 }}/{% raw %}" in request.body
    assert "49" not in request.body


def test_an_unknown_route_names_the_known_ones() -> None:
    with pytest.raises(InputError, match="platform, google-delisting"):
        _request("fax")
