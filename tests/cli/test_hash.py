"""`monitor hash` on the victim's device, and `monitor enroll --hashes` on the ally's.

The fingerprint file is all that travels: it must need no config, carry no file names unless
asked, be private on disk, and find the same re-uploads as enrolling the pictures themselves.
Plain PDQ lists from other hash-sharing tools import the same way.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from monitor.demo.pictures import draw_picture, encode
from monitor.store.clients import add_client, count_items, load_index_entries
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli, SampleWeb, sample_sources

REFERENCE_PDQ = Path("/work/shared/reference/pdq/expected.csv")
LOWER_HEX = {"pdq": re.compile(r"[0-9a-f]{64}"), "phash": re.compile(r"[0-9a-f]{16}")}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _pdq_by_another_tool(data: bytes) -> str:
    """The PDQ hex a ThreatExchange-style tool computes: pdqhash bits, packed in order."""
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    bits, _quality = pdqhash.compute(pixels)
    return bytes(np.packbits(bits)).hex()


def test_hash_needs_no_config_and_writes_a_private_file_without_names(
    cli: Cli, tmp_path: Path
) -> None:
    cli.env["MONITOR_CONFIG"] = str(tmp_path / "nowhere" / "monitor.toml")
    victim = tmp_path / "my-pictures"
    victim.mkdir()
    pictures = {
        "holiday-beach-7.jpg": encode(draw_picture(11)),
        "garden-party.png": encode(draw_picture(12), fmt="PNG"),
    }
    for name, data in pictures.items():
        (victim / name).write_bytes(data)
    (victim / "broken-one.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")

    result = cli("hash", str(victim), "--out", "prints.json", check=False)
    assert result.code == 1, "one file failed"
    assert "broken-one.jpg" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert sorted(path.name for path in cli.cwd.iterdir()) == ["prints.json"], (
        "hash must not create a config or database"
    )
    prints = cli.cwd / "prints.json"
    assert _mode(prints) == 0o600

    text = prints.read_text(encoding="utf-8")
    for revealing in ("holiday", "garden", "broken", "my-pictures", str(tmp_path)):
        assert revealing not in text
    document = json.loads(text)
    assert document["format"] == "reupload-monitor-fingerprints"
    assert document["version"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["created"])
    items = document["items"]
    assert len(items) == 2
    assert {item["sha256"] for item in items} == {
        hashlib.sha256(data).hexdigest() for data in pictures.values()
    }
    for item in items:
        assert item["label"] is None
        algorithms = {entry["algorithm"] for entry in item["hashes"]}
        assert {"pdq", "phash", "dhash"} <= algorithms
        for entry in item["hashes"]:
            pattern = LOWER_HEX.get(entry["algorithm"], LOWER_HEX["phash"])
            assert pattern.fullmatch(entry["hex"]), entry
        assert any(
            entry["algorithm"] == "pdq" and entry["variant"] == "original"
            for entry in item["hashes"]
        )
    # The exported PDQ is the one other tools compute for the same picture.
    for item in items:
        data = next(d for d in pictures.values() if hashlib.sha256(d).hexdigest() == item["sha256"])
        ours = next(
            e["hex"]
            for e in item["hashes"]
            if e["algorithm"] == "pdq" and e["variant"] == "original"
        )
        theirs = _pdq_by_another_tool(data)
        assert bin(int(ours, 16) ^ int(theirs, 16)).count("1") <= 16


def test_hash_with_names_prints_labels_to_stdout(cli: Cli, tmp_path: Path) -> None:
    picture = tmp_path / "beach.jpg"
    picture.write_bytes(encode(draw_picture(13)))
    result = cli("hash", str(picture), "--with-names")
    document = json.loads(result.stdout)
    assert [item["label"] for item in document["items"]] == ["beach.jpg"]


def test_hash_out_over_an_existing_readable_file_makes_it_private(cli: Cli, tmp_path: Path) -> None:
    picture = tmp_path / "beach.jpg"
    picture.write_bytes(encode(draw_picture(13)))
    out = cli.cwd / "prints.json"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(0o644)
    cli("hash", str(picture), "--out", str(out))
    assert json.loads(out.read_text(encoding="utf-8"))["items"]
    assert _mode(out) == 0o600


def test_imported_fingerprints_find_the_reuploads_in_a_scan(
    cli: Cli, sample_web: SampleWeb, tmp_path: Path
) -> None:
    """case-a: `monitor hash` file of originals 0 and 1; case-b: a plain PDQ list of original 2."""
    site = sample_web.site
    victim = tmp_path / "victim"
    victim.mkdir()
    for index in (0, 1):
        (victim / f"picture{index}.jpg").write_bytes(site.originals[index])
    cli("hash", str(victim), "--out", "prints.json")
    pdq_list = cli.cwd / "original2.pdq"
    pdq_list.write_text(
        f"# PDQ list from another tool\n{_pdq_by_another_tool(site.originals[2]).upper()}\n",
        encoding="utf-8",
    )

    write_config(cli, sources=sample_sources(site))
    db = database(cli)
    add_client(db, client_id="case-a")
    add_client(db, client_id="case-b")
    imported = [
        json.loads(line)
        for line in cli(
            "enroll", "--client", "case-a", "--hashes", "prints.json", "--json"
        ).stdout.splitlines()
    ]
    assert [entry["path"] for entry in imported] == ["prints.json#1", "prints.json#2"]
    assert all(entry["hashes"] >= 3 and not entry["already_enrolled"] for entry in imported)
    again = [
        json.loads(line)
        for line in cli(
            "enroll", "--client", "case-a", "--hashes", "prints.json", "--json"
        ).stdout.splitlines()
    ]
    assert [(e["item"], e["already_enrolled"]) for e in again] == [
        (e["item"], True) for e in imported
    ]
    listed = cli("enroll", "--client", "case-b", "--hashes", str(pdq_list), "--json")
    (entry,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert entry["hashes"] == 1
    assert count_items(db) == {"case-a": 2, "case-b": 1}
    db.dispose()

    cli("scan", "--json")
    sightings = json.loads(cli("sightings", "--json").stdout)
    found_a = {s["image_url"] for s in sightings if s["client"] == "case-a"}
    found_b = {s["image_url"] for s in sightings if s["client"] == "case-b"}
    planted_a = {copy.image_url for copy in site.planted if copy.original in (0, 1)}
    assert found_a == planted_a, {
        (copy.alteration, copy.style)
        for copy in site.planted
        if copy.original in (0, 1) and copy.image_url not in found_a
    }
    # A plain PDQ list has no rotated variants, so only upright copies can match it.
    upright_b = {
        copy.image_url
        for copy in site.planted
        if copy.original == 2
        and copy.alteration in ("reencoded", "resized", "greyscale", "brighter")
    }
    assert upright_b <= found_b
    assert found_b <= {copy.image_url for copy in site.planted if copy.original == 2}
    assert not {s["image_url"] for s in sightings} & set(site.distractors)


def test_a_reference_pdq_csv_imports_every_hash(cli: Cli) -> None:
    if not REFERENCE_PDQ.is_file():
        pytest.skip(f"{REFERENCE_PDQ} is not there (the shared PDQ reference vectors)")
    rows = [line.split(",") for line in REFERENCE_PDQ.read_text(encoding="utf-8").splitlines()]
    expected = [pdq.strip().lower() for _name, pdq in rows[1:]]
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    result = cli("enroll", "--client", "K-17", "--hashes", str(REFERENCE_PDQ), "--json")
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(entries) == len(expected)
    stored = sorted(entry.hash.hex for entry in load_index_entries(db))
    # Identical hashes in the list (a blur that changes no bit) are one item, enrolled once.
    assert stored == sorted(set(expected))
    assert sum(entry["already_enrolled"] for entry in entries) == len(expected) - len(set(expected))
    assert all(entry.hash.algorithm == "pdq" for entry in load_index_entries(db))
    db.dispose()


def test_importing_the_same_pdq_list_twice_does_not_duplicate(cli: Cli) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    pdq_list = cli.cwd / "list.csv"
    pdq_list.write_text(
        "pdq_hex\n" + "\n".join(_pdq_by_another_tool(encode(draw_picture(s))) for s in (1, 2)),
        encoding="utf-8",
    )
    cli("enroll", "--client", "K-17", "--hashes", str(pdq_list))
    again = cli("enroll", "--client", "K-17", "--hashes", str(pdq_list), "--json")
    assert all(json.loads(line)["already_enrolled"] for line in again.stdout.splitlines())
    assert count_items(db) == {"K-17": 2}
    db.dispose()


def test_a_malformed_fingerprint_file_is_refused_whole_with_the_problem_named(cli: Cli) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    good = "a" * 64
    pdq_list = cli.cwd / "list.txt"
    pdq_list.write_text(f"{good}\n{good[:-1]}\n{good}\n", encoding="utf-8")
    message = assert_clean_error(
        cli("enroll", "--client", "K-17", "--hashes", str(pdq_list), check=False)
    )
    assert "line 2" in message
    assert "64 hex" in message

    document = {
        "format": "reupload-monitor-fingerprints",
        "version": 1,
        "items": [{"label": None, "sha256": None, "hashes": [{"algorithm": "pdq", "hex": "abc"}]}],
    }
    (cli.cwd / "prints.json").write_text(json.dumps(document), encoding="utf-8")
    message = assert_clean_error(
        cli("enroll", "--client", "K-17", "--hashes", "prints.json", check=False)
    )
    assert "items[0].hashes[0]" in message
    assert "64 hex characters" in message
    assert count_items(db) == {}, "nothing of a malformed file is imported"
    db.dispose()
