"""Review of sightings: allowed transitions only, each kept with its time and note."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.erase import erase_client
from monitor.store.records import Observation
from monitor.store.review import ReviewError, change_status, get_sighting, status_history
from monitor.store.sightings import confirmed_image_urls, record_sighting

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _sighting(db: Database, image_url: str = "https://x.example/a.jpg") -> int:
    add_client(db, client_id="k1")
    item = enroll_item(
        db, client_id="k1", hashes=[Hash("pdq", "a" * 64)], sha256=None, origin="import"
    ).item_id
    return record_sighting(
        db,
        observation=Observation(
            client_id="k1",
            item_id=item,
            image_url=image_url,
            page_url="https://x.example/t",
            final_url=image_url,
            source="board",
            seen_at=T0,
            distance=3,
            algorithm="pdq",
            sha256="b" * 64,
            http_status=200,
        ),
        takedown_url="https://x.example/report",
    ).sighting.id


def test_confirm_then_report_keeps_every_step(db: Database) -> None:
    sighting_id = _sighting(db)
    change_status(
        db,
        sighting_id=sighting_id,
        to_status="confirmed",
        at=T0 + timedelta(hours=1),
        note="checked by the ally",
    )
    change_status(
        db,
        sighting_id=sighting_id,
        to_status="reported",
        at=T0 + timedelta(hours=2),
        reported_to="the site's NCII form",
        route="ncii-form",
    )

    assert get_sighting(db, sighting_id).status == "reported"
    history = status_history(db, sighting_id)
    assert [(h.from_status, h.to_status) for h in history] == [
        ("new", "confirmed"),
        ("confirmed", "reported"),
    ]
    assert history[0].note == "checked by the ally"
    assert history[1].reported_to == "the site's NCII form"
    assert history[1].route == "ncii-form"
    assert history[1].at == T0 + timedelta(hours=2)


def test_only_confirmed_sightings_seed_reverse_searches(db: Database) -> None:
    sighting_id = _sighting(db)
    assert confirmed_image_urls(db) == []
    change_status(db, sighting_id=sighting_id, to_status="confirmed", at=T0)
    assert confirmed_image_urls(db) == ["https://x.example/a.jpg"]


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ((), "reported"),  # a new sighting cannot be reported before it is confirmed
        (("dismissed",), "confirmed"),  # a dismissed one stays dismissed
        (("confirmed",), "confirmed"),
        ((), "removed"),  # not a review status
    ],
)
def test_transitions_that_make_no_sense_are_refused(
    db: Database, steps: tuple[str, ...], refused: str
) -> None:
    sighting_id = _sighting(db)
    for step in steps:
        change_status(db, sighting_id=sighting_id, to_status=step, at=T0)
    before = get_sighting(db, sighting_id).status
    with pytest.raises(ReviewError) as caught:
        change_status(db, sighting_id=sighting_id, to_status=refused, at=T0)
    assert refused in str(caught.value)
    assert get_sighting(db, sighting_id).status == before
    assert len(status_history(db, sighting_id)) == len(steps)


def test_an_unknown_sighting_is_named(db: Database) -> None:
    with pytest.raises(ReviewError, match="no sighting 99"):
        change_status(db, sighting_id=99, to_status="confirmed", at=T0)


def test_removing_the_client_removes_the_history(db: Database) -> None:
    sighting_id = _sighting(db)
    change_status(db, sighting_id=sighting_id, to_status="dismissed", at=T0, note="not her")
    removed = erase_client(db, "k1")
    assert removed["sighting_event"] == 1
    assert removed["sighting"] == 1
