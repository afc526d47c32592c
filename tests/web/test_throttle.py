from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.web.throttle import LoginThrottle, ThrottleLimits

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_failures_per_name_pause_that_name_until_the_window_passes() -> None:
    throttle = LoginThrottle(ThrottleLimits(per_name=3, per_address=100))
    for _ in range(3):
        throttle.record_failure(username="Alice", address="192.0.2.1", now=T0)
    assert not throttle.allows(username="alice", address="192.0.2.9", now=T0)
    assert throttle.allows(username="bob", address="192.0.2.1", now=T0)
    assert throttle.allows(username="alice", address="192.0.2.1", now=T0 + timedelta(minutes=16))


def test_failures_per_address_pause_every_name_from_it() -> None:
    throttle = LoginThrottle(ThrottleLimits(per_name=100, per_address=3))
    for name in ("a", "b", "c"):
        throttle.record_failure(username=name, address="192.0.2.1", now=T0)
    assert not throttle.allows(username="d", address="192.0.2.1", now=T0)
    assert throttle.allows(username="d", address="192.0.2.2", now=T0)


def test_success_clears_the_names_failures() -> None:
    throttle = LoginThrottle(ThrottleLimits(per_name=2))
    throttle.record_failure(username="alice", address="x", now=T0)
    throttle.record_success(username="alice")
    throttle.record_failure(username="alice", address="x", now=T0)
    assert throttle.allows(username="alice", address="x", now=T0)


def test_a_flood_of_names_does_not_grow_memory_without_bound() -> None:
    throttle = LoginThrottle()
    for number in range(30_000):
        throttle.record_failure(username=f"n{number}", address="198.51.100.1", now=T0)
    assert len(throttle._failures) <= 10_001
