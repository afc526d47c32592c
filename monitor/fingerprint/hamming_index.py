"""Exact Hamming range search: every stored binary code within r bits of a query, with its distance.

Memory is the codes themselves plus one 64-bit id each: 40 bytes per 256-bit PDQ hash, 16 per
64-bit pHash. A look-up scans only the first 128 bits ("head") of every stored code, with faiss's
popcount kernel, and reads the rest ("tail") of the few codes that pass. No match is lost: the
distance over part of a code is never more than over all of it, so a code within r bits is within
r bits on its head too. An unrelated 256-bit code is ~64 bits away on its head, so at PDQ radii
(31 and thereabouts) a few in a billion pass; at loose radii more do, and the answer is still
exact, only slower. With 1,000,000 PDQ hashes that is ~1,300 look-ups per second per core, against
~900 for faiss IndexBinaryFlat over whole codes and ~45 for a numpy scan
(`python -m tests.bench.index_speed`).

Exact rather than approximate on purpose: a missed match is a missed re-upload. Hash-table
indexes that are exact at radius 31 need 16 tables of 16 bits (pigeonhole), i.e. 16 row numbers
per stored code on top of the code: faiss IndexBinaryMultiHash measured several hundred bytes per
hash and ~700 look-ups per second, and even packed row numbers would pass 64 bytes per hash.
"""

from __future__ import annotations

import functools
import importlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.uint8]  # one row of `bits // 8` bytes per code
Ids = npt.NDArray[np.int64]
Distances = npt.NDArray[np.int64]

# faiss has fast popcount kernels for 8 and 16 byte codes; 16 bytes (128 bits) filters unrelated
# 256-bit codes almost perfectly at radius 31 and reads half the memory of the whole code.
_HEAD_BYTES: Final = 16


@dataclass(frozen=True)
class Neighbours:
    """The stored codes within the radius of one query: ids and distances, closest first."""

    ids: Ids
    distances: Distances

    def __len__(self) -> int:
        return len(self.ids)


class HammingIndex:
    """Binary codes of one length with integer ids; answers exact range queries at any radius."""

    def __init__(self, *, bits: int) -> None:
        if bits <= 0 or bits % 64:
            raise ValueError(f"code length must be a positive multiple of 64 bits, got {bits}")
        self._bits = bits
        code_bytes = bits // 8
        self._head_bytes = min(code_bytes, _HEAD_BYTES)
        self._tail_words = (code_bytes - self._head_bytes) // 8
        self._head: Codes = np.zeros((0, self._head_bytes), dtype=np.uint8)
        self._tail = np.zeros((0, self._tail_words), dtype=np.uint64)
        self._ids: Ids = np.zeros(0, dtype=np.int64)

    @property
    def bits(self) -> int:
        return self._bits

    @property
    def nbytes(self) -> int:
        """Bytes the index keeps: codes and ids (what a look-up needs, nothing else)."""
        return self._head.nbytes + self._tail.nbytes + self._ids.nbytes

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, codes: Codes, ids: npt.ArrayLike) -> None:
        """Store `codes` (n rows of bits/8 bytes, as `bytes.fromhex` gives them) under `ids`.

        Ids need not be unique: several codes may belong to one thing (orientations, regions),
        and a query reports each stored code it is near. Add in batches: each call copies the
        index once.
        """
        rows = self._checked_codes(codes, what="codes")
        id_array = np.asarray(ids)
        if id_array.ndim != 1 or len(id_array) != len(rows):
            raise ValueError(
                f"need one id per code: {len(rows)} codes, ids of shape {id_array.shape}"
            )
        if len(id_array) and not np.issubdtype(id_array.dtype, np.integer):
            raise ValueError(f"ids must be integers, got {id_array.dtype}")
        head, tail = self._split(rows)
        self._head = np.concatenate([self._head, head])
        self._tail = np.concatenate([self._tail, tail])
        self._ids = np.concatenate([self._ids, id_array.astype(np.int64)])

    def remove(self, ids: npt.ArrayLike) -> int:
        """Forget every code stored under any of `ids`; returns how many codes went."""
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        removed = len(keep) - int(keep.sum())
        if removed:
            self._head = np.ascontiguousarray(self._head[keep])
            self._tail = np.ascontiguousarray(self._tail[keep])
            self._ids = self._ids[keep]
        return removed

    def search(self, queries: Codes, *, radius: int) -> list[Neighbours]:
        """For each query, every stored code at most `radius` bits away, closest first."""
        if radius < 0:
            raise ValueError(f"radius must be 0 or more bits, got {radius}")
        rows = self._checked_codes(queries, what="queries")
        if not len(rows) or not len(self):
            return [_NONE] * len(rows)
        query_head, query_tail = self._split(rows)
        query_of, found, distances = _head_range_search(query_head, self._head, radius=radius)
        if self._tail_words:
            tail_xor = self._tail[found] ^ query_tail[query_of]
            distances = distances + popcount(tail_xor).sum(axis=1)
            close = distances <= radius
            query_of, found, distances = query_of[close], found[close], distances[close]
        # One sort gives every query its neighbours closest first (ties by id, for repeatability).
        order = np.lexsort((self._ids[found], distances, query_of))
        query_of, found, distances = query_of[order], found[order], distances[order]
        limits = np.searchsorted(query_of, np.arange(len(rows) + 1))
        return [
            Neighbours(ids=self._ids[found[start:end]], distances=distances[start:end])
            for start, end in itertools.pairwise(limits)
        ]

    def _checked_codes(self, codes: Codes, *, what: str) -> Codes:
        array = np.asarray(codes)
        width = self._bits // 8
        if array.dtype != np.uint8 or array.ndim != 2 or array.shape[1] != width:
            raise ValueError(
                f"{what} must be rows of {width} bytes (uint8 array of shape (n, {width})) for "
                f"{self._bits}-bit codes, got {array.dtype} of shape {array.shape}"
            )
        return np.ascontiguousarray(array)

    def _split(self, rows: Codes) -> tuple[Codes, npt.NDArray[np.uint64]]:
        head = np.ascontiguousarray(rows[:, : self._head_bytes])
        tail = np.ascontiguousarray(rows[:, self._head_bytes :]).view(np.uint64)
        return head, tail.reshape(len(rows), self._tail_words)


def codes_from_hex(hexes: Sequence[str], *, bits: int) -> Codes:
    """Hex hashes (PDQ, pHash, ...) as rows of bytes for `HammingIndex`; ValueError if malformed."""
    width = bits // 8
    for text in hexes:
        if len(text) != 2 * width:
            raise ValueError(f"a {bits}-bit code is {2 * width} hex characters, got {text[:80]!r}")
    try:
        joined = bytes.fromhex("".join(hexes))
    except ValueError as error:
        raise ValueError(f"codes must be hex (0-9, a-f): {error}") from None
    if len(joined) != len(hexes) * width:  # fromhex skips spaces between digit pairs
        raise ValueError("codes must be hex (0-9, a-f), without spaces")
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(hexes), width).copy()


@functools.cache
def _faiss() -> Any:
    """faiss, imported on first search: it adds a quarter second to every command that loads the
    fingerprint package, most of which never search. Typed Any: its generated bindings declare
    only part of what they export (not hamming_range_search)."""
    return importlib.import_module("faiss")


_EMPTY_IDS: Final[Ids] = np.zeros(0, dtype=np.int64)
_NONE: Final = Neighbours(ids=_EMPTY_IDS, distances=_EMPTY_IDS)


def _head_range_search(queries: Codes, stored: Codes, *, radius: int) -> tuple[Ids, Ids, Distances]:
    """(query number, stored row, distance) of every stored head within `radius` of a query."""
    # One thread: faiss splits work by query, and a single query gains nothing from a second
    # thread, while OpenMP's hand-over costs milliseconds on a busy machine (measured 30 times
    # slower at 50,000 codes). The setting is per calling thread, hence here and not at import.
    faiss = _faiss()
    faiss.omp_set_num_threads(1)
    result = faiss.RangeSearchResult(len(queries))
    # faiss keeps distances strictly below its radius.
    faiss.hamming_range_search(
        faiss.swig_ptr(queries),
        faiss.swig_ptr(stored),
        len(queries),
        len(stored),
        min(radius, 8 * stored.shape[1]) + 1,
        stored.shape[1],
        result,
    )
    limits = faiss.rev_swig_ptr(result.lims, len(queries) + 1).astype(np.int64)
    total = int(limits[-1])
    if total == 0:
        return _EMPTY_IDS, _EMPTY_IDS, _EMPTY_IDS
    rows = faiss.rev_swig_ptr(result.labels, total).astype(np.int64)
    distances = faiss.rev_swig_ptr(result.distances, total).astype(np.int64)
    query_of = np.repeat(np.arange(len(queries), dtype=np.int64), np.diff(limits))
    return query_of, rows, distances


_BYTE_BITS: Final = np.array([bin(value).count("1") for value in range(256)], dtype=np.int64)


def popcount_by_table(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Set bits of each uint64, by a byte lookup table (numpy < 2 has no bitwise_count)."""
    as_bytes = np.ascontiguousarray(words).view(np.uint8).reshape(*words.shape, 8)
    counts: npt.NDArray[np.int64] = _BYTE_BITS[as_bytes].sum(axis=-1)
    return counts


def popcount_native(words: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    counts: npt.NDArray[np.int64] = np.bitwise_count(words).astype(np.int64)
    return counts


popcount = popcount_native if hasattr(np, "bitwise_count") else popcount_by_table
