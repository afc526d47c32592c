"""Look-ups per second against a large index of stored PDQ hashes, on one core.

    python -m tests.bench.index_speed [--hashes 1000000] [--lookups 200]

Stores N random 256-bit hashes (8 per item, like the 8 orientations of an enrolment) and times
single-candidate look-ups at the PDQ threshold in
  * MatchIndex, the project's index (its PDQ part: the index holds only PDQ hashes here),
  * a plain numpy scan (XOR + popcount over an (N, 4) uint64 array),
  * faiss IndexBinaryFlat range search, when faiss-cpu is installed (it is optional and not a
    project dependency; `pip install faiss-cpu` to include it).
Half of the look-ups are stored hashes with a few bits flipped (they must be found), half are
random. Memory is what the index keeps after it is built (tracemalloc), per stored hash.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.fingerprint import ORIENTATIONS, Hash, IndexEntry, MatchIndex, MatchSettings

faiss: Any
try:
    import faiss
except ImportError:  # optional: measured only where it is installed
    faiss = None


@dataclass(frozen=True)
class IndexSpeed:
    method: str
    build_seconds: float
    lookups_per_second: float
    bytes_per_hash: float
    found: int  # look-ups that found the stored hash they were made from
    expected: int


def measure(*, hashes: int, lookups: int, seed: int = 1) -> list[IndexSpeed]:
    rng = np.random.default_rng(seed)
    stored = rng.integers(0, 2**64, size=(hashes, 4), dtype=np.uint64, endpoint=False)
    queries, targets = _queries(stored, rng, count=lookups)
    threshold = MatchSettings().pdq
    results = [_match_index(stored, queries, targets)]
    results.append(_numpy_scan(stored, queries, targets, threshold))
    if faiss is not None:
        results.append(_faiss_flat(stored, queries, targets, threshold))
    return results


def _queries(
    stored: np.ndarray, rng: np.random.Generator, *, count: int
) -> tuple[np.ndarray, list[int | None]]:
    near = count // 2
    rows = rng.choice(len(stored), size=near, replace=False)
    queries = stored[rows].copy()
    as_bytes = queries.view(np.uint8)
    for query in range(near):
        for bit in rng.choice(256, size=int(rng.integers(0, 20)), replace=False):
            as_bytes[query, bit // 8] ^= np.uint8(1 << (bit % 8))
    random_rows = rng.integers(0, 2**64, size=(count - near, 4), dtype=np.uint64)
    targets: list[int | None] = [int(row) for row in rows] + [None] * (count - near)
    return np.vstack([queries, random_rows]), targets


def _match_index(stored: np.ndarray, queries: np.ndarray, targets: list[int | None]) -> IndexSpeed:
    def entries() -> Iterator[IndexEntry]:
        for row, value in enumerate(stored):
            variant = ORIENTATIONS[row % 8]
            yield IndexEntry("bench", row // 8, Hash("pdq", value.tobytes().hex(), variant))

    settings = MatchSettings()
    index, build_seconds, kept = _built(lambda: MatchIndex(entries(), settings=settings))
    candidates = [(Hash("pdq", query.tobytes().hex()),) for query in queries]
    started = time.process_time()
    found_items = [{m.item_id for m in index.match(candidate)} for candidate in candidates]
    seconds = time.process_time() - started
    pairs = zip(targets, found_items, strict=True)
    found = sum(t is not None and t // 8 in items for t, items in pairs)
    rate = len(queries) / seconds
    return _result("MatchIndex (PDQ part)", build_seconds, rate, kept, stored, found, targets)


def _numpy_scan(
    stored: np.ndarray, queries: np.ndarray, targets: list[int | None], threshold: int
) -> IndexSpeed:
    index, build_seconds, kept = _built(lambda: np.ascontiguousarray(stored.copy()))
    started = time.process_time()
    hits = []
    for query in queries:
        distances = np.bitwise_count(index ^ query).sum(axis=1, dtype=np.uint16)
        hits.append(set(np.flatnonzero(distances <= threshold).tolist()))
    seconds = time.process_time() - started
    found = sum(t is not None and t in rows for t, rows in zip(targets, hits, strict=True))
    rate = len(queries) / seconds
    return _result("numpy scan", build_seconds, rate, kept, stored, found, targets)


def _faiss_flat(
    stored: np.ndarray, queries: np.ndarray, targets: list[int | None], threshold: int
) -> IndexSpeed:
    assert faiss is not None
    faiss.omp_set_num_threads(1)

    def build() -> Any:
        index = faiss.IndexBinaryFlat(256)
        index.add(stored.view(np.uint8))
        return index

    index, build_seconds, _untraced = _built(build)
    kept = int(index.xb.size())  # faiss allocates outside Python: count its stored codes
    as_bytes = np.ascontiguousarray(queries).view(np.uint8)
    started = time.process_time()
    hits = []
    for query in as_bytes:
        # range_search keeps distances strictly below the radius.
        limits, _distances, labels = index.range_search(query[None, :], threshold + 1)
        hits.append(set(labels[limits[0] : limits[1]].tolist()))
    seconds = time.process_time() - started
    found = sum(t is not None and t in rows for t, rows in zip(targets, hits, strict=True))
    rate = len(queries) / seconds
    return _result("faiss IndexBinaryFlat", build_seconds, rate, kept, stored, found, targets)


def _built(build: Callable[[], Any]) -> tuple[Any, float, int]:
    """The built index, the CPU seconds it took and the bytes it keeps (tracemalloc)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    started = time.process_time()
    index = build()
    seconds = time.process_time() - started
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return index, seconds, kept


def _result(
    method: str,
    build_seconds: float,
    rate: float,
    kept: int,
    stored: np.ndarray,
    found: int,
    targets: Sequence[int | None],
) -> IndexSpeed:
    expected = sum(t is not None for t in targets)
    return IndexSpeed(method, build_seconds, rate, kept / len(stored), found, expected)


def print_table(results: Sequence[IndexSpeed], *, hashes: int) -> None:
    print(f"\nIndex look-ups, {hashes:,} stored random 256-bit hashes, one core (CPU time):")
    print(f"  {'method':<24} {'build s':>8} {'look-ups/s':>11} {'bytes/hash':>11} {'found':>9}")
    for result in results:
        print(
            f"  {result.method:<24} {result.build_seconds:>8.1f}"
            f" {result.lookups_per_second:>11,.0f} {result.bytes_per_hash:>11.1f}"
            f" {result.found:>4}/{result.expected}"
        )
    if faiss is None:
        print("  (faiss-cpu is not installed: `pip install faiss-cpu` to measure IndexBinaryFlat)")
    print("  targets: >= 1,000 look-ups/s per core, <= 64 bytes per stored hash")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args(argv)
    print_table(measure(hashes=args.hashes, lookups=args.lookups), hashes=args.hashes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
