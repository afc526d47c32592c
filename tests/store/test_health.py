"""Source health from recorded sweeps, and the outage records behind the operator's alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.crawl import finish_sweep, is_known_url, record_url_error, start_sweep
from monitor.store.health import (
    MAX_ERROR_CHARS,
    close_outage,
    get_outage,
    mark_failure_alerted,
    mark_recovered,
    open_outage,
    record_outage_delivery,
    source_health,
    sweep_streak,
)
from monitor.store.records import Observation, SweepSummary
from monitor.store.sightings import record_sighting

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DEAD = "feed https://feeds.example/x.xml: HTTP status 404"


def _sweep(
    db: Database,
    source: str,
    *,
    minute: int,
    error: str | None = None,
    candidates: int = 4,
    new_candidates: int = 1,
    finished: bool = True,
) -> int:
    started = T0 + timedelta(minutes=minute)
    sweep_id = start_sweep(db, source=source, at=started)
    if finished:
        finish_sweep(
            db,
            sweep_id=sweep_id,
            summary=SweepSummary(
                source=source,
                started_at=started,
                finished_at=started + timedelta(seconds=12.5),
                candidates=candidates,
                new_candidates=new_candidates,
                pages=1,
                images=3,
                new_sightings=0,
                failures=0,
                error=error,
            ),
        )
    return sweep_id


def _sighting(db: Database, *, source: str, image_url: str) -> None:
    record_sighting(
        db,
        observation=Observation(
            client_id="k1",
            item_id=1,
            image_url=image_url,
            page_url=image_url,
            final_url=image_url,
            source=source,
            seen_at=T0,
            distance=3,
            algorithm="pdq",
            sha256="0" * 64,
            http_status=200,
        ),
        takedown_url="mailto:abuse@example.org",
    )


def test_a_source_that_never_ran_has_no_sweep_and_no_streak(db: Database) -> None:
    [health] = source_health(db, sources=["quiet"])
    assert health.source == "quiet"
    assert health.last_sweep is None
    assert health.sightings == 0
    assert health.streak.consecutive_failures == 0
    assert health.streak.failing_since is None
    assert health.streak.last_success is None
    assert health.streak.last_error is None


def test_last_sweep_carries_candidates_new_candidates_and_duration(db: Database) -> None:
    _sweep(db, "board", minute=0, candidates=9, new_candidates=9)
    _sweep(db, "board", minute=30, candidates=9, new_candidates=2)

    [health] = source_health(db, sources=["board"])
    assert health.last_sweep is not None
    assert health.last_sweep.started_at == T0 + timedelta(minutes=30)
    assert (health.last_sweep.candidates, health.last_sweep.new_candidates) == (9, 2)
    assert health.last_sweep.duration == timedelta(seconds=12.5)
    assert health.streak.last_success == T0 + timedelta(minutes=30)
    assert health.streak.consecutive_failures == 0


def test_failures_count_from_the_last_success_and_a_running_sweep_counts_for_nothing(
    db: Database,
) -> None:
    _sweep(db, "feed", minute=0, error="an old failure")
    _sweep(db, "feed", minute=10)
    first_failed = _sweep(db, "feed", minute=20, error="timed out")
    _sweep(db, "feed", minute=30, error="timed out")
    _sweep(db, "feed", minute=40, error=DEAD)
    _sweep(db, "feed", minute=50, finished=False)  # running, or cut off by a crash
    _sweep(db, "other", minute=45)  # another source's success changes nothing here

    streak = sweep_streak(db, "feed")
    assert streak.consecutive_failures == 3
    assert streak.first_failed_sweep == first_failed
    assert streak.failing_since == T0 + timedelta(minutes=20)
    assert streak.last_error == DEAD
    assert streak.last_success == T0 + timedelta(minutes=10)
    [health] = source_health(db, sources=["feed"])
    assert health.last_sweep is not None
    assert health.last_sweep.error == DEAD, "the last FINISHED sweep"


def test_a_source_that_never_succeeded_fails_since_its_first_sweep(db: Database) -> None:
    first = _sweep(db, "feed", minute=0, error=DEAD)
    _sweep(db, "feed", minute=5, error=DEAD)
    streak = sweep_streak(db, "feed")
    assert (streak.consecutive_failures, streak.first_failed_sweep) == (2, first)
    assert streak.last_success is None


def test_sightings_are_counted_per_source_in_the_order_asked(db: Database) -> None:
    add_client(db, client_id="k1")
    enroll_item(
        db, client_id="k1", hashes=[Hash(algorithm="pdq", hex="1" * 64)], sha256=None, origin="x"
    )
    for number in range(3):
        _sighting(db, source="board", image_url=f"https://a.example/{number}.jpg")
    _sighting(db, source="alerts", image_url="https://b.example/1.jpg")

    listed = source_health(db, sources=["alerts", "board", "unused%"])
    assert [(health.source, health.sightings) for health in listed] == [
        ("alerts", 1),
        ("board", 3),
        ("unused%", 0),
    ]


def test_a_url_is_known_once_looked_at_even_when_it_failed(db: Database) -> None:
    url = "https://forum.example/t/1"
    assert not is_known_url(db, url)
    record_url_error(db, url=url, kind="page", reason="HTTP status 500", at=T0)
    assert is_known_url(db, url)


def test_an_outage_goes_from_owed_to_alerted_to_recovered_to_closed(db: Database) -> None:
    opened = open_outage(
        db, source="feed", first_failed_sweep=7, failing_since=T0, error="x" * 5000
    )
    assert opened.failure_alerted_at is None
    assert opened.recovered_at is None
    assert len(opened.error) == MAX_ERROR_CHARS, "a hostile error body is cut"
    again = open_outage(db, source="feed", first_failed_sweep=9, failing_since=T0, error="other")
    assert again == opened, "opening an open outage changes nothing"

    record_outage_delivery(db, source="feed", targets=["a"])
    record_outage_delivery(db, source="feed", targets=["b", "a"])
    assert get_outage(db, "feed").delivered_targets == {"a", "b"}  # type: ignore[union-attr]

    mark_failure_alerted(db, source="feed", at=T0 + timedelta(hours=1))
    alerted = get_outage(db, "feed")
    assert alerted is not None
    assert alerted.failure_alerted_at == T0 + timedelta(hours=1)
    assert alerted.delivered_targets == frozenset(), "the recovery is owed to every target"

    record_outage_delivery(db, source="feed", targets=["a"])
    mark_recovered(db, source="feed", at=T0 + timedelta(hours=2))
    recovered = get_outage(db, "feed")
    assert recovered is not None
    assert recovered.recovered_at == T0 + timedelta(hours=2)
    assert recovered.delivered_targets == frozenset()
    mark_recovered(db, source="feed", at=T0 + timedelta(hours=3))
    assert get_outage(db, "feed").recovered_at == T0 + timedelta(hours=2)  # type: ignore[union-attr]

    close_outage(db, "feed")
    assert get_outage(db, "feed") is None
    close_outage(db, "feed")  # closing twice is harmless
    record_outage_delivery(db, source="feed", targets=["a"])
    assert get_outage(db, "feed") is None, "no row is created by a late delivery record"
