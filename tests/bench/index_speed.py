"""Look-ups per second per core and bytes per stored hash of the match index, against a plain
numpy scan and faiss IndexBinaryFlat, at the default thresholds.

    python -m tests.bench.index_speed [--hashes 1000000] [--lookups 200]

Two stores of N random hashes each (8 per item, like the 8 orientations of an enrolment):
  * N PDQ hashes, looked up at PDQ radius 31 by
      - MatchIndex (the project's index, built from IndexEntry values like the daemon does),
      - HammingIndex alone (the exact range search MatchIndex uses),
      - a plain numpy scan (XOR + popcount over an (N, 4) uint64 array: MatchIndex until now),
      - faiss IndexBinaryFlat range search;
  * N/2 pHash+dHash pairs (N hashes), looked up at pHash radius 12 confirmed by dHash <= 9 of the
    same pair, by MatchIndex and by a plain numpy scan of both arrays.
Half of the look-ups are stored hashes with up to the radius of bits flipped (each must be found),
half are random. Every method's answers are compared with the numpy scan's ("same").
Speed is look-ups per CPU second on one thread (faiss is held to one thread). Memory is what the
index keeps after it is built, per stored hash: traced allocations for numpy-based indexes, the
stored codes for faiss (its memory is outside Python's view).
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
from monitor.fingerprint.hamming_index import HammingIndex

faiss: Any
try:
    import faiss
except ImportError:  # measured only where it is installed
    faiss = None

PER_ITEM = 8


@dataclass(frozen=True)
class IndexSpeed:
    method: str
    build_seconds: float
    lookups_per_second: float
    bytes_per_hash: float
    found: int  # near look-ups that found the item they were made from
    expected: int
    same: int  # look-ups answered exactly as the numpy scan answered them
    lookups: int


@dataclass(frozen=True)
class _Workload:
    """Stored codes as uint64 words, look-ups, and the stored row each near look-up came from."""

    stored: np.ndarray  # (N, words) uint64
    queries: np.ndarray  # (L, words) uint64
    targets: list[int | None]


def measure(*, hashes: int, lookups: int, seed: int = 1) -> list[IndexSpeed]:
    settings = MatchSettings()
    rng = np.random.default_rng(seed)
    pdq = _workload(rng, rows=hashes, words=4, lookups=lookups, flips=(settings.pdq,))
    pairs = _workload(
        rng, rows=hashes // 2, words=2, lookups=lookups, flips=(settings.phash, settings.dhash)
    )
    pdq_truth, scan = _numpy_scan_pdq(pdq, settings)
    pair_truth, pair_scan = _numpy_scan_pairs(pairs, settings)
    results = [
        _match_index_pdq(pdq, settings, pdq_truth),
        _hamming_index_pdq(pdq, settings, pdq_truth),
        scan,
    ]
    if faiss is not None:
        results.append(_faiss_flat(pdq, settings, pdq_truth))
    results += [_match_index_pairs(pairs, settings, pair_truth), pair_scan]
    return results


def _workload(
    rng: np.random.Generator, *, rows: int, words: int, lookups: int, flips: Sequence[int]
) -> _Workload:
    """Random codes and look-ups. A near look-up is a stored code with 0..flips[k] bits flipped
    in its k-th hash (PDQ: one hash of 4 words; a pair: pHash word, dHash word)."""
    stored = rng.integers(0, 2**64, size=(rows, words), dtype=np.uint64, endpoint=False)
    near = lookups // 2
    chosen = rng.choice(rows, size=near, replace=False)
    queries = stored[chosen].copy()
    bits_per_hash = 64 * words // len(flips)
    for query in queries:
        bits = np.unpackbits(query.view(np.uint8))
        for part, most in enumerate(flips):
            count = int(rng.integers(0, most + 1))
            flipped = rng.choice(bits_per_hash, size=count, replace=False) + part * bits_per_hash
            bits[flipped] ^= 1
        query[:] = np.packbits(bits).view(np.uint64)
    unrelated = rng.integers(0, 2**64, size=(lookups - near, words), dtype=np.uint64)
    targets: list[int | None] = [int(row) for row in chosen] + [None] * (lookups - near)
    return _Workload(stored, np.vstack([queries, unrelated]), targets)


def _pdq_hex(words: np.ndarray) -> str:
    return words.astype(">u8").tobytes().hex()


def _match_index_pdq(work: _Workload, settings: MatchSettings, truth: list[set[int]]) -> IndexSpeed:
    def entries() -> Iterator[IndexEntry]:
        for row, words in enumerate(work.stored):
            variant = ORIENTATIONS[row % PER_ITEM]
            yield IndexEntry("bench", row // PER_ITEM, Hash("pdq", _pdq_hex(words), variant))

    index, build_seconds, kept = _built(lambda: MatchIndex(entries(), settings=settings))
    candidates = [(Hash("pdq", _pdq_hex(query)),) for query in work.queries]
    started = time.process_time()
    answers = [{match.item_id for match in index.match(candidate)} for candidate in candidates]
    seconds = time.process_time() - started
    return _result(
        f"MatchIndex, PDQ <= {settings.pdq}", work, build_seconds, seconds, kept, answers, truth
    )


def _hamming_index_pdq(
    work: _Workload, settings: MatchSettings, truth: list[set[int]]
) -> IndexSpeed:
    def build() -> HammingIndex:
        index = HammingIndex(bits=256)
        index.add(work.stored.astype(">u8").view(np.uint8), np.arange(len(work.stored)))
        return index

    index, build_seconds, kept = _built(build)
    queries = work.queries.astype(">u8").view(np.uint8)
    started = time.process_time()
    answers = [
        {int(row) // PER_ITEM for row in index.search(query[None, :], radius=settings.pdq)[0].ids}
        for query in queries
    ]
    seconds = time.process_time() - started
    return _result("HammingIndex alone, PDQ", work, build_seconds, seconds, kept, answers, truth)


def _numpy_scan_pdq(work: _Workload, settings: MatchSettings) -> tuple[list[set[int]], IndexSpeed]:
    stored, build_seconds, kept = _built(lambda: np.ascontiguousarray(work.stored.copy()))
    started = time.process_time()
    answers = []
    for query in work.queries:
        distances = np.bitwise_count(stored ^ query).sum(axis=1, dtype=np.uint16)
        rows = np.flatnonzero(distances <= settings.pdq)
        answers.append({int(row) // PER_ITEM for row in rows})
    seconds = time.process_time() - started
    result = _result("numpy scan, PDQ", work, build_seconds, seconds, kept, answers, answers)
    return answers, result


def _faiss_flat(work: _Workload, settings: MatchSettings, truth: list[set[int]]) -> IndexSpeed:
    assert faiss is not None
    faiss.omp_set_num_threads(1)

    def build() -> Any:
        index = faiss.IndexBinaryFlat(256)
        index.add(work.stored.astype(">u8").view(np.uint8))
        return index

    index, build_seconds, _untraced = _built(build)
    kept = int(index.xb.size())  # faiss allocates outside Python: count its stored codes
    queries = work.queries.astype(">u8").view(np.uint8)
    started = time.process_time()
    answers = []
    for query in queries:
        # range_search keeps distances strictly below the radius.
        limits, _distances, labels = index.range_search(query[None, :], settings.pdq + 1)
        answers.append({int(row) // PER_ITEM for row in labels[limits[0] : limits[1]]})
    seconds = time.process_time() - started
    return _result("faiss IndexBinaryFlat, PDQ", work, build_seconds, seconds, kept, answers, truth)


def _match_index_pairs(
    work: _Workload, settings: MatchSettings, truth: list[set[int]]
) -> IndexSpeed:
    def entries() -> Iterator[IndexEntry]:
        for row, (phash, dhash) in enumerate(work.stored):
            variant = ORIENTATIONS[row % PER_ITEM]
            item = row // PER_ITEM
            yield IndexEntry("bench", item, Hash("phash", f"{int(phash):016x}", variant))
            yield IndexEntry("bench", item, Hash("dhash", f"{int(dhash):016x}", variant))

    index, build_seconds, kept = _built(lambda: MatchIndex(entries(), settings=settings))
    candidates = [
        (Hash("phash", f"{int(phash):016x}"), Hash("dhash", f"{int(dhash):016x}"))
        for phash, dhash in work.queries
    ]
    started = time.process_time()
    answers = [{match.item_id for match in index.match(candidate)} for candidate in candidates]
    seconds = time.process_time() - started
    method = f"MatchIndex, pHash <= {settings.phash} + dHash <= {settings.dhash}"
    return _result(method, work, build_seconds, seconds, kept, answers, truth, per_row=2)


def _numpy_scan_pairs(
    work: _Workload, settings: MatchSettings
) -> tuple[list[set[int]], IndexSpeed]:
    def build() -> tuple[np.ndarray, np.ndarray]:
        return work.stored[:, 0].copy(), work.stored[:, 1].copy()

    (phashes, dhashes), build_seconds, kept = _built(build)
    started = time.process_time()
    answers = []
    for phash, dhash in work.queries:
        close = (np.bitwise_count(phashes ^ phash) <= settings.phash) & (
            np.bitwise_count(dhashes ^ dhash) <= settings.dhash
        )
        answers.append({int(row) // PER_ITEM for row in np.flatnonzero(close)})
    seconds = time.process_time() - started
    result = _result(
        "numpy scan, pHash + dHash", work, build_seconds, seconds, kept, answers, answers, per_row=2
    )
    return answers, result


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
    work: _Workload,
    build_seconds: float,
    seconds: float,
    kept: int,
    answers: Sequence[set[int]],
    truth: Sequence[set[int]],
    *,
    per_row: int = 1,
) -> IndexSpeed:
    pairs = zip(work.targets, answers, strict=True)
    found = sum(t is not None and t // PER_ITEM in items for t, items in pairs)
    return IndexSpeed(
        method=method,
        build_seconds=build_seconds,
        lookups_per_second=len(answers) / max(seconds, 1e-9),
        bytes_per_hash=kept / (per_row * len(work.stored)),
        found=found,
        expected=sum(t is not None for t in work.targets),
        same=sum(a == b for a, b in zip(answers, truth, strict=True)),
        lookups=len(answers),
    )


def print_table(results: Sequence[IndexSpeed], *, hashes: int) -> None:
    print(
        f"\nIndex look-ups, {hashes:,} stored random hashes (PDQ; or pHash+dHash pairs, 2 hashes"
        " each), one thread, CPU time:"
    )
    print(
        f"  {'method':<38} {'build s':>8} {'look-ups/s/core':>16} {'bytes/hash':>11}"
        f" {'found':>9} {'same as scan':>13}"
    )
    for result in results:
        print(
            f"  {result.method:<38} {result.build_seconds:>8.1f}"
            f" {result.lookups_per_second:>16,.0f} {result.bytes_per_hash:>11.1f}"
            f" {result.found:>4}/{result.expected:<4} {result.same:>7}/{result.lookups}"
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
