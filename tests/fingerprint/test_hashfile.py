from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from monitor.errors import FingerprintFileError
from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.hashfile import (
    FingerprintItem,
    dump_fingerprint_file,
    load_fingerprint_file,
)

PDQ = "f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22"
OTHER_PDQ = "1f811b9d2e7fbc6613c0c3f30e041f9df69b836303e10f067fcdfc12c02d01f9"
SHA = "ab" * 32

ITEMS = [
    FingerprintItem(
        label="beach, 2019",
        sha256=SHA,
        hashes=(
            Hash("pdq", PDQ),
            Hash("pdq", OTHER_PDQ, "rot90"),
            Hash("phash", "c7edb2888e41ccc7"),
            Hash("dhash", "928a424667a1898d", "trimmed-flip"),
        ),
    ),
    FingerprintItem(label=None, sha256=None, hashes=(Hash("pdq", OTHER_PDQ),)),
    FingerprintItem(label="unicode ✓ ünïcödé", sha256=None, hashes=(Hash("phash", "0" * 16),)),
]


def _document(**changes: object) -> str:
    document: dict[str, object] = {
        "format": "reupload-monitor-fingerprints",
        "version": 1,
        "created": "2024-05-01T12:00:00Z",
        "items": [{"label": "x", "sha256": None, "hashes": [{"algorithm": "pdq", "hex": PDQ}]}],
    }
    document.update(changes)
    return json.dumps(document)


def test_round_trip_keeps_every_item_and_hash() -> None:
    text = dump_fingerprint_file(ITEMS)
    assert load_fingerprint_file(text) == ITEMS


def test_dumped_file_has_the_documented_shape() -> None:
    document = json.loads(dump_fingerprint_file(ITEMS))
    assert document["format"] == "reupload-monitor-fingerprints"
    assert document["version"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["created"])
    first = document["items"][0]
    assert first["label"] == "beach, 2019"
    assert first["sha256"] == SHA
    assert first["hashes"][0] == {"algorithm": "pdq", "variant": "original", "hex": PDQ}


def test_empty_item_list_round_trips() -> None:
    assert load_fingerprint_file(dump_fingerprint_file([])) == []


def test_variant_defaults_to_original_and_hex_case_is_normalised() -> None:
    text = _document(items=[{"label": None, "hashes": [{"algorithm": "pdq", "hex": PDQ.upper()}]}])
    [item] = load_fingerprint_file(text)
    assert item.hashes == (Hash("pdq", PDQ),)
    assert item.sha256 is None


def test_threatexchange_style_csv_is_imported(reference_dir: Path) -> None:
    text = (reference_dir / "expected.csv").read_text()
    items = load_fingerprint_file(text)
    rows = [line.split(",") for line in text.strip().splitlines()[1:]]
    assert len(items) == len(rows) == 21
    assert [item.hashes[0].hex for item in items] == [row[1] for row in rows]
    assert all(len(item.hashes) == 1 and item.hashes[0].algorithm == "pdq" for item in items)


@pytest.mark.parametrize(
    "text",
    [
        f"{PDQ}\n{OTHER_PDQ}\n",
        f"pdq_hex\n{PDQ}\n{OTHER_PDQ}",
        f"# exported 2024-05-01\n\n{PDQ.upper()}\n\n# another\n{OTHER_PDQ}\n",
        f"signal_value,tags\n{PDQ},nsfw\n{OTHER_PDQ},\n",
        f"{PDQ}\tmedia-1\n{OTHER_PDQ}\tmedia-2\n",
        f"{PDQ} 100\r\n{OTHER_PDQ} 90\r\n",
        f'"name","hash"\n"a.jpg","{PDQ}"\n"b.jpg","{OTHER_PDQ}"\n',
        f"\ufeffpdq\n{PDQ}\n{OTHER_PDQ}\n",
        f"sha256,pdq_hex\n{SHA},{PDQ}\n{SHA},{OTHER_PDQ}\n",
    ],
    ids=[
        "bare",
        "header",
        "comments",
        "extra-fields",
        "tabs",
        "spaces-crlf",
        "quoted",
        "bom",
        "header-names-pdq-column",
    ],
)
def test_plain_pdq_lists_in_their_common_shapes(text: str) -> None:
    items = load_fingerprint_file(text)
    assert [item.hashes for item in items] == [(Hash("pdq", PDQ),), (Hash("pdq", OTHER_PDQ),)]
    assert all(item.label is None for item in items)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        (_document(format="something-else"), "format"),
        (_document(version=2), "upgrade"),
        (_document(version="1"), "version"),
        (_document(version=True), "version"),
        (_document(items={"a": 1}), "must be a list"),
        (_document(items=[5]), r"items\[0\] must be an object"),
        (_document(items=[{"label": "x", "hashes": []}]), r"items\[0\]\.hashes"),
        (_document(items=[{"label": "x", "hashes": "pdq"}]), r"items\[0\]\.hashes"),
        (
            _document(items=[{"label": "x", "hashes": [{"algorithm": "pdq", "hex": PDQ[:-2]}]}]),
            r"items\[0\]\.hashes\[0\].*64 hex",
        ),
        (
            _document(items=[{"label": "x", "hashes": [{"algorithm": "pdq", "hex": "z" * 64}]}]),
            r"items\[0\]\.hashes\[0\].*hex",
        ),
        (
            _document(items=[{"label": "x", "hashes": [{"algorithm": "sha1", "hex": PDQ}]}]),
            "unknown hash algorithm",
        ),
        (
            _document(items=[{"label": "x", "hashes": [{"algorithm": "pdq", "hex": 5}]}]),
            "must be strings",
        ),
        (
            _document(items=[{"label": 5, "hashes": [{"algorithm": "pdq", "hex": PDQ}]}]),
            r"items\[0\]\.label",
        ),
        (
            _document(items=[{"sha256": "xyz", "hashes": [{"algorithm": "pdq", "hex": PDQ}]}]),
            r"items\[0\]\.sha256",
        ),
        ("[" * 100_000 + "]" * 100_000, "nests too deeply"),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "nests too deeply|JSON"),
        (f"{PDQ}\n{PDQ[:-1]}\n", "line 2"),
        (f"{PDQ}\nnot a hash at all\n", "line 2"),
        ("pdq_hex\n", "only a header"),
        (f"{SHA},{PDQ}\n", "line 1 has 2 fields"),
        (f"pdq_hex\n{PDQ}g\n", "line 2"),
    ],
    ids=lambda value: value[:30] if isinstance(value, str) else None,
)
def test_malformed_files_say_where_and_what(text: str, complaint: str) -> None:
    with pytest.raises(FingerprintFileError, match=complaint):
        load_fingerprint_file(text)
