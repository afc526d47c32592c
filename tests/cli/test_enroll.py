"""`monitor enroll --client ID PATH...`: files and folders become fingerprints; files stay put."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor.demo.pictures import draw_picture, encode
from monitor.fingerprint import fingerprint_enrolled
from monitor.fingerprint.hashes import hamming
from monitor.store.clients import add_client, count_items, load_index_entries
from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli

MAX_PIXELS = 80_000_000


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def _animated_gif() -> bytes:
    first, second = draw_picture(4).convert("P"), draw_picture(5).convert("P")
    buffer = io.BytesIO()
    first.save(buffer, format="GIF", save_all=True, append_images=[second], duration=200)
    return buffer.getvalue()


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    """A client's folder: four pictures in four formats, broken files, and things to skip."""
    folder = tmp_path / "pictures"
    (folder / "summer").mkdir(parents=True)
    (folder / ".thumbnails").mkdir()
    (folder / "a-photo.jpg").write_bytes(encode(draw_picture(1)))
    (folder / "b-photo.png").write_bytes(encode(draw_picture(2), fmt="PNG"))
    (folder / "summer" / "c-photo.webp").write_bytes(encode(draw_picture(3), fmt="WEBP"))
    (folder / "d-moving.gif").write_bytes(_animated_gif())
    (folder / "e-broken.jpg").write_bytes(b"this is a text file with an image's name")
    (folder / "f-truncated.jpg").write_bytes(encode(draw_picture(6))[:4000])
    (folder / "g-bomb.png").write_bytes(_png_declaring(40_000, 40_000))
    (folder / ".thumbnails" / "hidden.jpg").write_bytes(encode(draw_picture(7)))
    (folder / "notes.txt").write_text("not a picture", encoding="utf-8")
    return folder


def _lines(stdout: str) -> dict[str, dict[str, object]]:
    entries = [json.loads(line) for line in stdout.splitlines()]
    by_name = {Path(str(entry["path"])).name: entry for entry in entries}
    assert len(by_name) == len(entries), "one line per input file"
    return by_name


def test_enroll_a_folder_fingerprints_every_format_and_reports_each_file(
    cli: Cli, pictures: Path
) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")

    result = cli("enroll", "--client", "K-17", str(pictures), "--json", check=False)
    assert result.code == 1, "some files failed, so the exit code says so"
    assert "Traceback" not in result.stderr
    entries = _lines(result.stdout)
    enrolled = {"a-photo.jpg", "b-photo.png", "c-photo.webp", "d-moving.gif"}
    failed = {"e-broken.jpg", "f-truncated.jpg", "g-bomb.png"}
    assert set(entries) == enrolled | failed, "hidden folders and non-image files are skipped"
    for name in enrolled:
        entry = entries[name]
        assert set(entry) == {
            "path",
            "item",
            "hashes",
            "already_enrolled",
            "hashes_added",
            "hashes_removed",
        }
        assert entry["hashes_added"] == entry["hashes_removed"] == 0
        assert Path(str(entry["path"])).is_file()
        assert isinstance(entry["item"], int)
        assert isinstance(entry["hashes"], int)
        assert entry["hashes"] >= 3
        assert entry["already_enrolled"] is False
    for name in failed:
        entry = entries[name]
        assert set(entry) == {"path", "error"}
        assert isinstance(entry["error"], str)
        assert entry["error"]
    assert "pixels" in str(entries["g-bomb.png"]["error"])
    assert len({entries[name]["item"] for name in enrolled}) == 4
    assert count_items(db) == {"K-17": 4}

    # A GIF is enrolled by its first frame.
    gif_item = entries["d-moving.gif"]["item"]
    gif_pdq = next(
        entry.hash.hex
        for entry in load_index_entries(db)
        if entry.item_id == gif_item
        and entry.hash.algorithm == "pdq"
        and entry.hash.variant == "original"
    )
    frames = [encode(draw_picture(seed).convert("P"), fmt="PNG") for seed in (4, 5)]
    first, second = (
        next(
            h.hex
            for h in fingerprint_enrolled(frame, max_pixels=MAX_PIXELS)
            if h.algorithm == "pdq" and h.variant == "original"
        )
        for frame in frames
    )
    assert hamming(gif_pdq, first) <= 16
    assert hamming(gif_pdq, second) > 64
    db.dispose()


def test_enrolling_the_same_picture_again_does_not_duplicate_it(
    cli: Cli, pictures: Path, tmp_path: Path
) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    picture = pictures / "a-photo.jpg"
    first = _lines(cli("enroll", "--client", "K-17", str(picture), "--json").stdout)

    renamed = tmp_path / "copy-with-another-name.jpg"
    renamed.write_bytes(picture.read_bytes())
    again = _lines(cli("enroll", "--client", "K-17", str(picture), str(renamed), "--json").stdout)
    item = first["a-photo.jpg"]["item"]
    assert again["a-photo.jpg"]["already_enrolled"] is True
    assert again["a-photo.jpg"]["item"] == item
    assert again["copy-with-another-name.jpg"]["already_enrolled"] is True
    assert again["copy-with-another-name.jpg"]["item"] == item
    assert again["a-photo.jpg"]["hashes_added"] == 0  # nothing new to add
    assert again["a-photo.jpg"]["hashes_removed"] == 0
    assert again["a-photo.jpg"]["hashes"] == first["a-photo.jpg"]["hashes"]
    assert count_items(db) == {"K-17": 1}

    # As if enrolled by a version without halves, and whose regions were computed otherwise:
    # enrolling the file again adds the halves and replaces the stale region hash.
    with db.session() as session:
        session.execute(text("DELETE FROM item_hash WHERE variant LIKE 'half-%'"))
        session.execute(
            text(
                "UPDATE item_hash SET hex = '0000000000000005' WHERE variant = 'win80-c'"
                " AND algorithm = 'phash'"
            )
        )
    upgraded = cli("enroll", "--client", "K-17", str(picture))
    assert "1 were enrolled already (1 of them now have this version's" in upgraded.stdout
    halves = {e.hash.variant for e in load_index_entries(db) if e.hash.variant.startswith("half")}
    assert halves == {"half-l", "half-r", "half-t", "half-b"}
    region = [
        e.hash.hex
        for e in load_index_entries(db)
        if (e.hash.algorithm, e.hash.variant) == ("phash", "win80-c")
    ]
    assert len(region) == 1
    assert region != ["0000000000000005"]
    assert len(load_index_entries(db)) == first["a-photo.jpg"]["hashes"]
    assert count_items(db) == {"K-17": 1}
    db.dispose()


def test_enroll_for_an_unknown_client_says_how_to_find_or_add_one(cli: Cli, pictures: Path) -> None:
    write_config(cli)
    result = cli("enroll", "--client", "K-99", str(pictures / "a-photo.jpg"), check=False)
    message = assert_clean_error(result)
    assert "\n" not in message, "one line"
    assert "'K-99'" in message
    assert "monitor client list" in message
    assert "monitor client add K-99" in message


def test_enroll_a_missing_path_names_it_and_enrols_nothing(cli: Cli, pictures: Path) -> None:
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")
    missing = pictures / "no-such-holiday.jpg"
    result = cli(
        "enroll", "--client", "K-17", str(pictures / "a-photo.jpg"), str(missing), check=False
    )
    message = assert_clean_error(result)
    assert str(missing) in message
    assert "no such file" in message
    assert count_items(db) == {}
    db.dispose()
