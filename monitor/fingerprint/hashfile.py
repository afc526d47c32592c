"""Fingerprint files: what `monitor hash` writes and `monitor enroll --hashes` reads.

Our own format is versioned JSON:
    {"format": "reupload-monitor-fingerprints", "version": 1, "created": "2024-05-01T12:00:00Z",
     "items": [{"label": "beach", "sha256": "...",
                "hashes": [{"algorithm": "pdq", "variant": "original", "hex": "..."}]}]}
Plain PDQ lists from hash-sharing tools (ThreatExchange CSV and the like) are read too: one hash a
line, 64 hex characters, in any comma/tab/space separated field; each line is one item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from monitor.errors import FingerprintFileError
from monitor.fingerprint.hashes import Hash

FORMAT_NAME: Final = "reupload-monitor-fingerprints"
FORMAT_VERSION: Final = 1

_MAX_LABEL = 500
_PDQ_FIELD = re.compile(r"[0-9a-fA-F]{64}")
_FIELD_SEPARATORS = re.compile(r"[,\t; ]+")


@dataclass(frozen=True)
class FingerprintItem:
    """One image's hashes: `label` is the owner's name for it, `sha256` the file's digest."""

    label: str | None
    sha256: str | None
    hashes: tuple[Hash, ...]


def dump_fingerprint_file(items: Sequence[FingerprintItem]) -> str:
    """The JSON text of a fingerprint file holding `items`."""
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "items": [
            {
                "label": item.label,
                "sha256": item.sha256,
                "hashes": [
                    {"algorithm": h.algorithm, "variant": h.variant, "hex": h.hex}
                    for h in item.hashes
                ],
            }
            for item in items
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load_fingerprint_file(text: str) -> list[FingerprintItem]:
    """Read our JSON format or a plain PDQ list.

    Raises `FingerprintFileError` naming the line or item that is wrong and how to fix it.
    """
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise FingerprintFileError(
            "the fingerprint file is empty; make one with `monitor hash IMAGE...` "
            "or give a list with one 64-hex-character PDQ hash a line"
        )
    if stripped.startswith(("{", "[")):
        return _load_json(stripped)
    return _load_pdq_list(stripped)


def _load_json(text: str) -> list[FingerprintItem]:
    try:
        document = json.loads(text)
    except RecursionError as error:
        raise FingerprintFileError(
            "the fingerprint file nests too deeply to be a fingerprint file"
        ) from error
    except json.JSONDecodeError as error:
        raise FingerprintFileError(
            f"the fingerprint file is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}); make it again with `monitor hash`"
        ) from error
    if not isinstance(document, dict):
        raise FingerprintFileError(
            'the fingerprint file must be a JSON object with "format", "version" and "items"'
        )
    if document.get("format") != FORMAT_NAME:
        raise FingerprintFileError(
            f'the fingerprint file\'s "format" is {document.get("format")!r}, expected '
            f"{FORMAT_NAME!r}; is it a file from `monitor hash`?"
        )
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FingerprintFileError(
            f'the fingerprint file\'s "version" is {version!r}; expected {FORMAT_VERSION}'
        )
    if version > FORMAT_VERSION:
        raise FingerprintFileError(
            f"the fingerprint file is version {version}, newer than this monitor reads "
            f"(version {FORMAT_VERSION}); upgrade reupload-monitor to read it"
        )
    items = document.get("items")
    if not isinstance(items, list):
        raise FingerprintFileError('the fingerprint file\'s "items" must be a list of items')
    return [_load_item(raw, position=position) for position, raw in enumerate(items)]


def _load_item(raw: Any, *, position: int) -> FingerprintItem:
    where = f"items[{position}]"
    if not isinstance(raw, dict):
        raise FingerprintFileError(f'{where} must be an object with "label", "sha256", "hashes"')
    label = _optional_text(raw.get("label"), where=f"{where}.label", limit=_MAX_LABEL)
    sha256 = _optional_text(raw.get("sha256"), where=f"{where}.sha256", limit=64)
    if sha256 is not None:
        sha256 = sha256.lower()
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise FingerprintFileError(f"{where}.sha256 must be 64 hex characters or null")
    hashes = raw.get("hashes")
    if not isinstance(hashes, list) or not hashes:
        raise FingerprintFileError(f"{where}.hashes must be a non-empty list of hashes")
    return FingerprintItem(
        label=label,
        sha256=sha256,
        hashes=tuple(
            _load_hash(entry, where=f"{where}.hashes[{index}]")
            for index, entry in enumerate(hashes)
        ),
    )


def _load_hash(raw: Any, *, where: str) -> Hash:
    if not isinstance(raw, dict):
        raise FingerprintFileError(f'{where} must be an object with "algorithm", "variant", "hex"')
    algorithm, hex_text = raw.get("algorithm"), raw.get("hex")
    variant = raw.get("variant", "original")
    if not (isinstance(algorithm, str) and isinstance(hex_text, str) and isinstance(variant, str)):
        raise FingerprintFileError(f'{where}: "algorithm", "variant" and "hex" must be strings')
    try:
        return Hash(algorithm=algorithm, hex=hex_text.lower(), variant=variant)
    except ValueError as error:
        raise FingerprintFileError(f"{where}: {error}") from error


def _optional_text(value: Any, *, where: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise FingerprintFileError(f"{where} must be text of at most {limit} characters, or null")
    return value


def _load_pdq_list(text: str) -> list[FingerprintItem]:
    items: list[FingerprintItem] = []
    pdq_column: int | None = None
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        fields = [field.strip("\"'") for field in _FIELD_SEPARATORS.split(content)]
        if not items and not header_seen and _looks_like_header(fields):
            header_seen = True
            pdq_column = _pdq_column(fields)
            continue
        items.append(_pdq_item(fields, pdq_column=pdq_column, number=number, content=content))
    if not items:
        raise FingerprintFileError("the fingerprint file has no PDQ hashes, only a header")
    return items


def _pdq_item(
    fields: list[str], *, pdq_column: int | None, number: int, content: str
) -> FingerprintItem:
    found = [index for index, field in enumerate(fields) if _PDQ_FIELD.fullmatch(field)]
    if pdq_column is not None and pdq_column in found:
        found = [pdq_column]
    if not found:
        raise FingerprintFileError(
            f"line {number} has no PDQ hash (64 hex characters): {content[:80]!r}; "
            "a PDQ list has one hash a line, optionally with other comma-separated fields"
        )
    if len(found) > 1:
        raise FingerprintFileError(
            f"line {number} has {len(found)} fields of 64 hex characters and no header says "
            'which is the PDQ hash; add a first line naming the columns, e.g. "sha256,pdq_hex"'
        )
    return FingerprintItem(None, None, (Hash("pdq", fields[found[0]].lower()),))


def _looks_like_header(fields: list[str]) -> bool:
    """A first line of column names, like "pdq_hex" or "file,signal_value"."""
    return not any(re.fullmatch(r"[0-9a-fA-F]{16,}", field) for field in fields)


def _pdq_column(names: list[str]) -> int | None:
    for index, name in enumerate(names):
        if "pdq" in name.lower() or name.lower() in ("signal_value", "hash", "hex"):
            return index
    return None
