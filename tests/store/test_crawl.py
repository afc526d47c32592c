"""What the crawler remembers: page validators, image digests, failures with reasons, sweeps."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from monitor.fingerprint.hashes import Hash
from monitor.store import Database
from monitor.store.crawl import (
    finish_sweep,
    get_digest,
    get_page_state,
    record_url_error,
    save_digest,
    save_image_state,
    save_page_state,
    start_sweep,
    url_errors,
)
from monitor.store.records import PageState, SweepSummary
from monitor.store.tables import SweepRow, UrlStateRow

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PAGE = "https://forum.example/t/1"
IMAGE = "https://forum.example/media/1.jpg"
HASHES = (
    Hash(algorithm="pdq", hex="0f" * 32, variant="original"),
    Hash(algorithm="phash", hex="a1" * 8, variant="trimmed-rot270"),
)


def _url_row(db: Database, url: str) -> UrlStateRow:
    with db.session() as session:
        row = session.get(UrlStateRow, url)
        assert row is not None
        return row


def _save_page(db: Database, *, etag: str | None = '"v1"', at: datetime = T0) -> None:
    save_page_state(
        db,
        url=PAGE,
        checked_at=at,
        etag=etag,
        last_modified="Fri, 01 May 2026 11:00:00 GMT",
        images=[IMAGE, "https://cdn.example/2.jpg"],
        links=["https://forum.example/t/2"],
    )


def test_page_state_round_trip(db: Database) -> None:
    assert get_page_state(db, PAGE) is None

    _save_page(db)

    assert get_page_state(db, PAGE) == PageState(
        url=PAGE,
        etag='"v1"',
        last_modified="Fri, 01 May 2026 11:00:00 GMT",
        images=(IMAGE, "https://cdn.example/2.jpg"),
        links=("https://forum.example/t/2",),
    )


def test_saving_a_page_again_replaces_its_state_and_clears_its_error(db: Database) -> None:
    record_url_error(db, url=PAGE, kind="page", reason="HTTP status 503", at=T0)

    _save_page(db, etag='"v2"', at=T0 + timedelta(hours=1))

    state = get_page_state(db, PAGE)
    assert state is not None
    assert state.etag == '"v2"'
    row = _url_row(db, PAGE)
    assert (row.last_error, row.error_count) == (None, 0)
    assert row.checked_at == T0 + timedelta(hours=1)
    assert url_errors(db) == []


def test_an_image_url_or_a_failed_page_has_no_page_state(db: Database) -> None:
    save_image_state(db, url=IMAGE, checked_at=T0, sha256="f" * 64)
    record_url_error(db, url=PAGE, kind="page", reason="HTTP status 404", at=T0)

    assert get_page_state(db, IMAGE) is None
    assert get_page_state(db, PAGE) is None, "a page never read has no validators to reuse"
    assert _url_row(db, IMAGE).sha256 == "f" * 64


def test_errors_are_kept_with_their_reason_and_counted(db: Database) -> None:
    record_url_error(db, url=IMAGE, kind="image", reason="HTTP status 404", at=T0)
    record_url_error(
        db, url=IMAGE, kind="image", reason="HTTP status 410", at=T0 + timedelta(hours=1)
    )

    assert url_errors(db) == [(IMAGE, "HTTP status 410", T0 + timedelta(hours=1))]
    row = _url_row(db, IMAGE)
    assert row.error_count == 2
    assert row.last_error_at == T0 + timedelta(hours=1)

    save_image_state(db, url=IMAGE, checked_at=T0 + timedelta(hours=2), sha256="f" * 64)

    assert url_errors(db) == []
    assert _url_row(db, IMAGE).error_count == 0


def test_a_huge_error_reason_is_cut(db: Database) -> None:
    record_url_error(db, url=IMAGE, kind="image", reason="x" * 1_000_000, at=T0)

    [(_url, reason, _at)] = url_errors(db)
    assert len(reason) == 1000


def test_errors_are_listed_by_url(db: Database) -> None:
    for url in ("https://b.example/", "https://a.example/", "https://c.example/"):
        record_url_error(db, url=url, kind="page", reason=f"bad {url}", at=T0)
    save_image_state(db, url=IMAGE, checked_at=T0, sha256="f" * 64)

    assert [url for url, _reason, _at in url_errors(db)] == [
        "https://a.example/",
        "https://b.example/",
        "https://c.example/",
    ]


def test_digest_of_fingerprinted_bytes(db: Database) -> None:
    assert get_digest(db, "1" * 64) is None

    save_digest(db, sha256="1" * 64, at=T0, hashes=HASHES, error=None)

    assert get_digest(db, "1" * 64) == (HASHES, None)


def test_digest_of_bytes_that_could_not_be_fingerprinted(db: Database) -> None:
    save_digest(db, sha256="2" * 64, at=T0, hashes=None, error="not an image Pillow can read")

    assert get_digest(db, "2" * 64) == (None, "not an image Pillow can read")


def test_the_first_digest_stays(db: Database) -> None:
    save_digest(db, sha256="1" * 64, at=T0, hashes=HASHES, error=None)

    save_digest(db, sha256="1" * 64, at=T0 + timedelta(hours=1), hashes=(), error="other")

    assert get_digest(db, "1" * 64) == (HASHES, None)


def test_concurrent_saves_of_the_same_digest_do_not_fail(db: Database) -> None:
    savers = 8
    barrier = threading.Barrier(savers)
    errors: list[BaseException] = []

    def save() -> None:
        barrier.wait(timeout=30)
        try:
            save_digest(db, sha256="3" * 64, at=T0, hashes=HASHES, error=None)
        except BaseException as error:  # collected and asserted on below
            errors.append(error)

    threads = [threading.Thread(target=save) for _ in range(savers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert get_digest(db, "3" * 64) == (HASHES, None)


def test_a_sweep_is_started_then_finished_with_its_summary(db: Database) -> None:
    sweep_id = start_sweep(db, source="board", at=T0)
    with db.session() as session:
        running = session.get(SweepRow, sweep_id)
        assert running is not None
        assert (running.source, running.started_at, running.finished_at) == ("board", T0, None)

    finish_sweep(
        db,
        sweep_id=sweep_id,
        summary=SweepSummary(
            source="board",
            started_at=T0,
            finished_at=T0 + timedelta(seconds=42),
            candidates=3,
            pages=5,
            images=40,
            new_sightings=2,
            failures=1,
            error="feed https://x.example/feed: not an RSS or Atom feed",
        ),
    )

    with db.session() as session:
        done = session.get(SweepRow, sweep_id)
        assert done is not None
        assert done.finished_at == T0 + timedelta(seconds=42)
        assert (done.candidates, done.pages, done.images) == (3, 5, 40)
        assert (done.new_sightings, done.failures) == (2, 1)
        assert done.error == "feed https://x.example/feed: not an RSS or Atom feed"


def test_each_sweep_gets_its_own_row(db: Database) -> None:
    ids = [start_sweep(db, source="board", at=T0 + timedelta(minutes=n)) for n in range(3)]

    assert len(set(ids)) == 3
