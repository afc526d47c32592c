"""The review queue and one sighting: review buttons, history, and never a picture inline."""

from __future__ import annotations

from starlette.testclient import TestClient

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import enroll_item
from monitor.store.review import get_sighting, status_history
from tests.web.conftest import Seeded, record, sign_in


def test_the_queue_lists_new_sightings_of_the_users_clients(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "alice")
    page = client.get("/queue").text
    for sighting_id in seeded.a:
        assert f'href="/sightings/{sighting_id}"' in page
    for sighting_id in seeded.b:
        assert f'href="/sightings/{sighting_id}"' not in page
    assert "b-2.example" not in page


def test_confirming_a_sighting_takes_it_out_of_the_queue_and_keeps_the_step(
    db: Database, client: TestClient, seeded: Seeded
) -> None:
    token = sign_in(client, "alice")
    first = seeded.a[0]
    response = client.post(
        f"/sightings/{first}/review",
        data={"action": "confirm", "note": "her photo", "csrf_token": token},
    )
    assert response.status_code == 303
    queue = client.get(response.headers["location"]).text
    assert f"Sighting {first} is now confirmed." in queue
    assert f'href="/sightings/{first}"' not in queue
    assert f'href="/sightings/{seeded.a[1]}"' in queue
    assert get_sighting(db, first).status == "confirmed"
    [step] = status_history(db, first)
    assert (step.from_status, step.to_status, step.note) == ("new", "confirmed", "her photo")
    page = client.get(f"/sightings/{first}").text
    assert "new → confirmed" in page
    assert "her photo" in page


def test_reported_needs_where_and_follows_the_review_rules(
    db: Database, client: TestClient, seeded: Seeded
) -> None:
    token = sign_in(client, "alice")
    first = seeded.a[0]
    url = f"/sightings/{first}/review"
    refused = client.post(url, data={"action": "reported", "reported_to": "x", "csrf_token": token})
    assert refused.status_code == 409
    assert f"sighting {first} is new" in refused.text
    client.post(url, data={"action": "confirm", "csrf_token": token})
    missing = client.post(url, data={"action": "reported", "csrf_token": token})
    assert missing.status_code == 400
    assert "Say to whom or where" in missing.text
    done = client.post(
        url,
        data={
            "action": "reported",
            "reported_to": "the forum's NCII form",
            "route": "ncii-form",
            "csrf_token": token,
        },
    )
    assert done.status_code == 303
    [_confirm, report] = status_history(db, first)
    assert (report.reported_to, report.route) == ("the forum's NCII form", "ncii-form")
    for hostile in ({"action": "delete"}, {"action": "confirm", "note": "n" * 3000}, {}):
        response = client.post(url, data={**hostile, "csrf_token": token})
        assert response.status_code == 400
    assert get_sighting(db, first).status == "reported"


def test_no_picture_is_ever_shown_and_addresses_open_only_after_a_warning(
    client: TestClient, seeded: Seeded
) -> None:
    sign_in(client, "alice")
    first = seeded.a[0]
    for path in ("/queue", f"/sightings/{first}", "/clients", "/clients/A-1"):
        page = client.get(path).text
        assert "<img" not in page.lower()
    detail = client.get(f"/sightings/{first}").text
    assert 'href="https://a-1.example/1.jpg"' not in detail
    assert f'href="/sightings/{first}/open/image"' in detail
    assert 'rel="noreferrer noopener"' in detail  # the takedown link
    warning = client.get(f"/sightings/{first}/open/image").text
    assert "may show the matched intimate picture" in warning
    assert (
        '<a class="open" href="https://a-1.example/1.jpg" target="_blank" '
        'rel="noreferrer noopener">'
    ) in warning
    assert client.get(f"/sightings/{first}/open/elsewhere").status_code == 404


def test_every_response_carries_the_strict_headers(client: TestClient, seeded: Seeded) -> None:
    sign_in(client, "alice")
    for path in ("/login", "/queue", f"/sightings/{seeded.a[0]}", "/nowhere"):
        headers = client.get(path).headers
        assert "img-src 'self'" in headers["content-security-policy"]
        assert "script-src" not in headers["content-security-policy"]  # default-src 'none'
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


def test_hostile_addresses_are_shown_as_text_never_linked(
    db: Database, client: TestClient, seeded: Seeded
) -> None:
    item = enroll_item(
        db, client_id="A-1", hashes=[Hash("pdq", "e" * 64)], sha256=None, origin="import"
    ).item_id
    hostile = record(
        db,
        client_id="A-1",
        item_id=item,
        number=9,
        image_url="javascript:alert(1)",
        page_url='https://a.example/"><script>alert(1)</script>',
        final_url="javascript:alert(1)",
        takedown_url="javascript:alert(2)",
    )
    sign_in(client, "alice")
    detail = client.get(f"/sightings/{hostile}").text
    assert "<script>" not in detail
    assert 'href="javascript:' not in detail
    warning = client.get(f"/sightings/{hostile}/open/image").text
    assert 'href="javascript:' not in warning
    assert "shown as text only" in warning
    assert "<script>" not in client.get("/queue").text
