from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.demo.pictures import draw_picture, encode
from monitor.fingerprint import MatchSettings, fingerprint_candidate, fingerprint_enrolled
from monitor.queue.live_matcher import LiveMatcher
from monitor.store import Database, open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.erase import erase_client


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    add_client(database, client_id="case-a")
    yield database
    database.dispose()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _enroll(db: Database, seed: int, client: str = "case-a") -> None:
    picture = encode(draw_picture(seed))
    enroll_item(
        db,
        client_id=client,
        hashes=fingerprint_enrolled(picture, max_pixels=10_000_000),
        sha256=None,
        origin="image",
    )


def test_an_item_enrolled_while_the_worker_runs_is_matched_after_the_next_check(
    db: Database,
) -> None:
    clock = FakeClock()
    matcher = LiveMatcher(db, settings=MatchSettings(), check_every=1.0, clock=clock)
    candidate = fingerprint_candidate(encode(draw_picture(7), quality=60), max_pixels=10_000_000)
    assert matcher.current().matches(candidate, "0" * 64) == []
    _enroll(db, 7)
    assert matcher.current().matches(candidate, "0" * 64) == []  # not checked again yet
    clock.now = 1.5
    assert [m[0] for m in matcher.current().matches(candidate, "0" * 64)] == ["case-a"]
    assert matcher.loads == 2


def test_unchanged_enrolments_are_not_reloaded(db: Database) -> None:
    clock = FakeClock()
    _enroll(db, 1)
    matcher = LiveMatcher(db, settings=MatchSettings(), check_every=1.0, clock=clock)
    for step in range(5):
        clock.now = step * 2.0
        matcher.current()
    assert matcher.loads == 1


def test_an_erased_client_is_no_longer_matched(db: Database) -> None:
    clock = FakeClock()
    add_client(db, client_id="case-b")
    _enroll(db, 3, client="case-b")
    matcher = LiveMatcher(db, settings=MatchSettings(), check_every=0.0, clock=clock)
    candidate = fingerprint_candidate(encode(draw_picture(3)), max_pixels=10_000_000)
    assert [m[0] for m in matcher.current().matches(candidate, "0" * 64)] == ["case-b"]
    erase_client(db, "case-b")
    assert matcher.current().matches(candidate, "0" * 64) == []
