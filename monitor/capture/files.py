"""Sealed capture files: one folder per client, owner-only, written whole or not at all."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path


def write_sealed(
    directory: Path,
    *,
    client_id: str,
    sighting_id: int,
    kind: str,
    extension: str,
    sealed: bytes,
    at: datetime,
) -> str:
    """Write ciphertext to `<directory>/<client>/<sighting>-<kind>-<time>.<ext>.age`; returns
    the path relative to `directory`. Only ciphertext ever reaches the disk."""
    folder = directory / client_id
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{sighting_id}-{kind}-{stamp}.{extension}.age"
    partial = folder / f".{name}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(sealed)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, folder / name)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return f"{client_id}/{name}"
