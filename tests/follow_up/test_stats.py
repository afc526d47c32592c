"""Removal figures per site from known timings: found, reported, removed, rate, median time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.fingerprint.hashes import Hash
from monitor.follow_up.stats import compute_stats, site_of
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.follow_up_stats import SightingHistory, StatusStep, load_histories
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import record_sighting

T0 = datetime(2026, 2, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def history(
    number: int, page_url: str, status: str, *steps: tuple[timedelta, str]
) -> SightingHistory:
    return SightingHistory(
        sighting_id=number,
        client_id="k1",
        page_url=page_url,
        status=status,
        steps=tuple(StatusStep(at=T0 + offset, to_status=to) for offset, to in steps),
    )


def test_figures_per_site_and_in_total() -> None:
    report = compute_stats(
        [
            # forum: three reported, two verified removed (after 10h and 30h), one still up
            history(1, "https://forum.example/t/1", "removed",
                    (0 * HOUR, "confirmed"), (1 * HOUR, "reported"), (11 * HOUR, "removed")),
            history(2, "https://forum.example/t/2", "removed",
                    (0 * HOUR, "confirmed"), (2 * HOUR, "reported"), (32 * HOUR, "removed")),
            history(3, "https://forum.example/t/3", "reported",
                    (0 * HOUR, "confirmed"), (2 * HOUR, "reported")),
            # a dismissed false positive is not a sighting found
            history(4, "https://forum.example/t/4", "dismissed", (0 * HOUR, "dismissed")),
            # host: reported, removed after 4h, then back; one never reviewed
            history(5, "https://HOST.example:8443/a", "reappeared",
                    (0 * HOUR, "confirmed"), (1 * HOUR, "reported"), (5 * HOUR, "removed"),
                    (9 * HOUR, "reappeared")),
            history(6, "https://host.example/b", "new"),
        ]
    )  # fmt: skip
    forum, host = report.sites
    assert (forum.site, forum.found, forum.reported, forum.removed, forum.back) == (
        "forum.example", 3, 2 + 1, 2, 0,
    )  # fmt: skip
    assert forum.removal_rate == 2 / 3
    assert forum.median_report_to_removal == timedelta(hours=20)  # median of 10h and 30h
    assert (host.site, host.found, host.reported, host.removed, host.back) == (
        "host.example", 2, 1, 0, 1,
    )  # fmt: skip
    assert host.removal_rate == 0.0  # it came back: not removed now
    assert host.median_report_to_removal == timedelta(hours=4)  # but it was removed once
    total = report.total
    assert (total.found, total.reported, total.removed, total.back) == (5, 4, 2, 1)
    assert total.removal_rate == 0.5
    assert total.median_report_to_removal == timedelta(hours=10)  # of 4h, 10h, 30h


def test_no_reports_give_no_rate_and_no_median() -> None:
    report = compute_stats([history(1, "https://a.example/", "confirmed", (HOUR, "confirmed"))])
    assert report.total.removal_rate is None
    assert report.total.median_report_to_removal is None
    assert compute_stats([]).sites == ()


def test_unusable_page_urls_are_grouped_not_fatal() -> None:
    assert site_of("not a url") == "(no host)"
    assert site_of("http://[::1") == "(no host)"
    assert site_of("https://WWW.Example.org/x") == "www.example.org"


def test_histories_come_from_the_review_events_with_their_times(db: Database) -> None:
    add_client(db, client_id="k1")
    add_client(db, client_id="k2")
    for client_id, url in (("k1", "https://a.example/1.jpg"), ("k2", "https://b.example/2.jpg")):
        item_id = enroll_item(
            db,
            client_id=client_id,
            hashes=[Hash(algorithm="pdq", hex="2" * 64)],
            sha256=None,
            origin="import",
        ).item_id
        sighting = record_sighting(
            db,
            observation=Observation(
                client_id=client_id,
                item_id=item_id,
                image_url=url,
                page_url=url,
                final_url=url,
                source="board",
                seen_at=T0,
                distance=0,
                algorithm="pdq",
                sha256="f" * 64,
                http_status=200,
            ),
            takedown_url="https://a.example/report",
        ).sighting
        change_status(db, sighting_id=sighting.id, to_status="confirmed", at=T0 + HOUR)
        change_status(
            db, sighting_id=sighting.id, to_status="reported", at=T0 + 2 * HOUR, reported_to="x"
        )
        change_status(db, sighting_id=sighting.id, to_status="removed", at=T0 + 50 * HOUR)
    (only,) = load_histories(db, client_id="k1")
    assert only.status == "removed"
    assert [(step.at - T0, step.to_status) for step in only.steps] == [
        (HOUR, "confirmed"),
        (2 * HOUR, "reported"),
        (50 * HOUR, "removed"),
    ]
    report = compute_stats(load_histories(db))
    assert [site.site for site in report.sites] == ["a.example", "b.example"]
    assert report.total.median_report_to_removal == timedelta(hours=48)
