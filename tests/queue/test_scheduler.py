from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.queue.scheduler import period_start, tick_interval


def test_periods_are_aligned_so_every_scheduler_names_the_same_one() -> None:
    every = timedelta(minutes=30)
    one = datetime(2026, 11, 22, 10, 0, 1, tzinfo=UTC)
    other = datetime(2026, 11, 22, 10, 29, 59, tzinfo=UTC)
    following = datetime(2026, 11, 22, 10, 30, 0, tzinfo=UTC)
    assert period_start(one, every=every) == period_start(other, every=every)
    assert period_start(one, every=every) == int(datetime(2026, 11, 22, 10, tzinfo=UTC).timestamp())
    assert period_start(following, every=every) == period_start(one, every=every) + 1800


def test_sub_second_period_does_not_divide_by_zero() -> None:
    moment = datetime(2026, 11, 22, tzinfo=UTC)
    assert period_start(moment, every=timedelta(milliseconds=1)) == int(moment.timestamp())


def test_ticks_come_several_times_a_period_but_not_more_than_once_a_second() -> None:
    assert tick_interval(timedelta(hours=6)) == timedelta(seconds=60)
    assert tick_interval(timedelta(minutes=2)) == timedelta(seconds=30)
    assert tick_interval(timedelta(seconds=2)) == timedelta(seconds=1)
