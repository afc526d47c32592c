"""`monitor hash` and `monitor enroll` with video files: one item of frame fingerprints each."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from monitor.demo.pictures import draw_picture, encode
from monitor.fingerprint import load_fingerprint_file
from monitor.fingerprint.video import frames_of, is_video_fingerprint
from monitor.store.clients import add_client, count_items
from tests.cli import database, write_config
from tests.conftest import Cli
from tests.videos import cuts_between, encode_clip

CLIP = cuts_between(
    [draw_picture(seed, size=(480, 360)) for seed in (41, 42)], seconds=1.5, size=(160, 90)
)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    folder.mkdir()
    (folder / "a-clip.mp4").write_bytes(encode_clip(CLIP))
    (folder / "b-clip.webm").write_bytes(encode_clip(CLIP, container="webm", size=(128, 72)))
    (folder / "c-photo.jpg").write_bytes(encode(draw_picture(43)))
    (folder / "d-broken.mov").write_bytes(b"\x00\x00\x00\x14ftypqt  " + b"\x00" * 500)
    return folder


def test_hash_writes_one_item_per_video_with_its_frames(cli: Cli, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    out = cli.cwd / "prints.json"
    result = cli("hash", str(folder), "--out", str(out), "--with-names", check=False)
    assert result.code == 1, "the broken video fails and the exit code says so"
    assert "d-broken.mov" in result.stderr
    assert "Traceback" not in result.stderr
    items = {item.label: item for item in load_fingerprint_file(out.read_text())}
    assert set(items) == {"a-clip.mp4", "b-clip.webm", "c-photo.jpg"}
    for name in ("a-clip.mp4", "b-clip.webm"):
        assert is_video_fingerprint(items[name].hashes)
        assert len(frames_of(items[name].hashes)) >= 3
    assert not is_video_fingerprint(items["c-photo.jpg"].hashes)
    assert all(path.name == "prints.json" for path in cli.cwd.iterdir())


def test_enroll_stores_a_video_as_one_item_with_origin_video(cli: Cli, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    write_config(cli)
    db = database(cli)
    add_client(db, client_id="K-17")

    result = cli("enroll", "--client", "K-17", str(folder), "--json", check=False)
    assert result.code == 1
    entries = {Path(str(e["path"])).name: e for e in map(json.loads, result.stdout.splitlines())}
    assert "error" in entries["d-broken.mov"]
    assert count_items(db) == {"K-17": 3}
    with sqlite3.connect(cli.cwd / "monitor.db") as connection:
        origins = dict(connection.execute("SELECT id, origin FROM item").fetchall())
    assert origins[entries["a-clip.mp4"]["item"]] == "video"
    assert origins[entries["b-clip.webm"]["item"]] == "video"
    assert origins[entries["c-photo.jpg"]["item"]] == "image"

    again = cli("enroll", "--client", "K-17", str(folder / "a-clip.mp4"), "--json")
    assert json.loads(again.stdout)["already_enrolled"] is True
    db.dispose()

    # Nothing of the videos was written: no temp files, no frames, no bytes in the database.
    assert list(Path(cli.env["TMPDIR"]).rglob("*")) == []
    names = {path.name for path in cli.cwd.iterdir()}
    assert names <= {"monitor.toml", "monitor.db", "monitor.db-wal", "monitor.db-shm"}
    stored = b"".join((cli.cwd / name).read_bytes() for name in names)
    video = (folder / "a-clip.mp4").read_bytes()
    for offset in range(200, len(video) - 48, len(video) // 12):
        assert video[offset : offset + 48] not in stored
