"""Principle 1: an enrolled original is read, fingerprinted in memory and forgotten.

After `hash`, `enroll` and `scan`, no byte run of the original files and no run of their decoded
pixels may be found in the database, the working folder, the temp folder or the logs.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from monitor.demo.server import AlertReceiver
from tests.conftest import Cli, SampleWeb, loopback_config, sample_sources

IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF")


def _needles(original: bytes) -> list[bytes]:
    """Byte windows of the file and of its decoded pixel rows (RGB and greyscale)."""
    needles = [
        original[offset : offset + 48]
        for offset in range(600, len(original) - 48, len(original) // 9)
    ]
    image = Image.open(io.BytesIO(original)).convert("RGB")
    for mode in ("RGB", "L"):
        pixels = image.convert(mode).tobytes()
        row = len(pixels) // image.height
        for y in (image.height // 4, image.height // 2, 3 * image.height // 4):
            start = y * row + row // 3
            needles.append(pixels[start : start + 48])
    return [needle for needle in needles if len(set(needle)) > 4]


def _files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_no_original_bytes_or_pixels_anywhere(
    cli: Cli, sample_web: SampleWeb, alert_receiver: AlertReceiver
) -> None:
    inputs = cli.cwd.parent / "inputs"
    inputs.mkdir()
    for index, original in enumerate(sample_web.site.originals):
        (inputs / f"p{index}.jpg").write_bytes(original)
    (cli.cwd / "monitor.toml").write_text(
        loopback_config(database=cli.cwd / "monitor.db", sources=sample_sources(sample_web.site))
    )
    logs = []
    logs.append(cli("-vv", "hash", str(inputs), "--out", str(cli.cwd / "prints.json")))
    logs.append(cli("-vv", "client", "add", "k1", "--notify", alert_receiver.apprise_url))
    logs.append(cli("-vv", "enroll", "--client", "k1", str(inputs), "--json"))
    logs.append(cli("-vv", "scan"))
    logs.append(cli("-vv", "sightings", "--json"))
    assert alert_receiver.messages, "the scan should have found and alerted the planted copies"

    needles = [needle for original in sample_web.site.originals for needle in _needles(original)]
    assert len(needles) > 20
    places = _files_under(cli.cwd) + _files_under(Path(cli.env["TMPDIR"]))
    assert any(path.name == "monitor.db" for path in places)
    texts = [log.stdout.encode() + log.stderr.encode() for log in logs]
    texts += [message_text.encode() for message_text in map(str, alert_receiver.messages)]
    for path in places:
        data = path.read_bytes()
        assert not data.startswith(IMAGE_MAGIC), f"an image file was written: {path}"
        texts.append(data)
    for blob in texts:
        for needle in needles:
            assert needle not in blob, "bytes or pixels of an enrolled original were stored"
