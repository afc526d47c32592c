from __future__ import annotations

import gzip
import os
import tracemalloc

import pytest

from monitor.sources.gzipped import GzipError, gunzip_chunks, is_gzip


def gunzip(data: bytes, *, max_bytes: int = 10_000_000, chunk_bytes: int = 65_536) -> bytes:
    return b"".join(gunzip_chunks(data, max_bytes=max_bytes, chunk_bytes=chunk_bytes))


def test_round_trip_in_bounded_chunks() -> None:
    original = os.urandom(300_000) + b"a" * 2_000_000
    chunks = list(gunzip_chunks(gzip.compress(original), max_bytes=3_000_000, chunk_bytes=4096))
    assert b"".join(chunks) == original
    assert max(len(chunk) for chunk in chunks) <= 4096


def test_several_members_in_a_row_and_trailing_padding() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second") + b"\0" * 10
    assert is_gzip(data)
    assert gunzip(data) == b"first second"


def test_a_bomb_stops_at_the_limit_without_holding_it() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(GzipError, match="more than 1000000 bytes"):
            for _ in gunzip_chunks(bomb, max_bytes=1_000_000):
                pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def test_exactly_the_limit_is_allowed() -> None:
    assert gunzip(gzip.compress(b"x" * 1000), max_bytes=1000) == b"x" * 1000
    with pytest.raises(GzipError):
        gunzip(gzip.compress(b"x" * 1001), max_bytes=1000)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (gzip.compress(b"hello world" * 1000)[:-30], "truncated"),
        (b"\x1f\x8b\x08\x00" + b"\xff" * 100, "corrupt"),
        (gzip.compress(b"abc")[:12] + b"\x00\xff\x00" + gzip.compress(b"abc")[15:], "corrupt"),
    ],
)
def test_broken_data_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(GzipError, match=reason):
        gunzip(data)


def test_data_that_is_not_gzip_gives_nothing() -> None:
    assert not is_gzip(b"<urlset/>")
    assert gunzip(b"<urlset/>") == b""
