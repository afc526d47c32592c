"""Gunzip in bounded steps: a gzip bomb is refused after `max_bytes`, never held in memory.

The fetcher undoes a gzip *Content-Encoding*; this is for gzip *files* (`sitemap.xml.gz`), whose
bytes arrive still compressed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

GZIP_MAGIC = b"\x1f\x8b"
_INPUT_STEP = 65_536


class GzipError(ValueError):
    """Corrupt or truncated gzip data, or more than the allowed bytes once decompressed."""


def is_gzip(data: bytes) -> bool:
    return data.startswith(GZIP_MAGIC)


def gunzip_chunks(data: bytes, *, max_bytes: int, chunk_bytes: int = 65_536) -> Iterator[bytes]:
    """The decompressed bytes of `data` (one gzip member or several in a row), at most
    `chunk_bytes` at a time. Raises `GzipError` as soon as the total passes `max_bytes`."""
    total = 0
    offset = 0
    while offset < len(data) and data.startswith(GZIP_MAGIC, offset):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        position = offset
        while not inflater.eof:
            piece = inflater.unconsumed_tail
            if not piece:
                if position >= len(data):
                    raise GzipError("the gzip data is truncated")
                piece = data[position : position + _INPUT_STEP]
                position += len(piece)
            try:
                chunk = inflater.decompress(piece, chunk_bytes)
            except zlib.error as error:
                raise GzipError(f"the gzip data is corrupt ({error})") from None
            total += len(chunk)
            if total > max_bytes:
                raise GzipError(f"it decompresses to more than {max_bytes} bytes")
            if chunk:
                yield chunk
        offset = position - len(inflater.unused_data) - len(inflater.unconsumed_tail)
    # Anything after the last member (zero padding, trailing junk) is ignored, as gzip(1) does.
