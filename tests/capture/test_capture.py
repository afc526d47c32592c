"""Captures at first sight: sealed so the server cannot read them, opened only with the key."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyrage
import pytest
from PIL import Image
from sqlmodel import col, select
from warcio.archiveiterator import ArchiveIterator

from monitor.capture.runner import CaptureClient, CaptureSummary, capture_owed
from monitor.capture.screenshot import _check_request_url
from monitor.capture.seal import open_sealed, parse_identities, seal
from monitor.capture.settings import CaptureSettings
from monitor.demo.server import ServedWeb, serve_web
from monitor.demo.site import Route
from monitor.errors import BlockedAddressError, ConfigError, InputError, UnsupportedUrlError
from monitor.fetch.client import Fetcher
from monitor.fetch.settings import FetchSettings
from monitor.fingerprint.hashes import Hash
from monitor.store import Database, open_database
from monitor.store.clients import add_client, enroll_item
from monitor.store.evidence import verify_evidence
from monitor.store.records import Observation
from monitor.store.sightings import record_sighting
from monitor.store.tables import CaptureRow

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Debian's chromium is not installed (apt install chromium)"
)
PAGE = (
    b"<!doctype html><html><head><title>thread 42</title></head>"
    b"<body style='background:#dfe'><h1>Thread 42</h1><p>a page that shows a picture</p>"
    b"<img src='/pic.png' width=200 height=100>"
    b"<img src='http://169.254.169.254/latest/meta-data/x.png'></body></html>"
)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 100), (30, 90, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def key() -> pyrage.x25519.Identity:
    return pyrage.x25519.Identity.generate()


def _db_with_sighting(tmp_path: Path, page_url: str) -> tuple[Database, int]:
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    add_client(db, client_id="K-17")
    item = enroll_item(
        db, client_id="K-17", hashes=[Hash("pdq", "c" * 64)], sha256=None, origin="import"
    ).item_id
    sighting = record_sighting(
        db,
        observation=Observation(
            client_id="K-17",
            item_id=item,
            image_url=page_url.rsplit("/", 1)[0] + "/pic.png",
            page_url=page_url,
            final_url=page_url.rsplit("/", 1)[0] + "/pic.png",
            source="board",
            seen_at=NOW,
            distance=0,
            algorithm="pdq",
            sha256="f" * 64,
            http_status=200,
        ),
        takedown_url="mailto:abuse@example.org",
    ).sighting
    return db, sighting.id


def _capture(
    db: Database, settings: CaptureSettings, key: pyrage.x25519.Identity
) -> CaptureSummary:
    async def run() -> CaptureSummary:
        fetcher = Fetcher(FetchSettings(allow_private_addresses=True, per_host_delay=0.0))
        try:
            return await capture_owed(
                db=db,
                settings=settings,
                clients=[CaptureClient("K-17", str(key.to_public()))],
                fetcher=fetcher,
                now=NOW,
            )
        finally:
            await fetcher.aclose()

    return asyncio.run(run())


def test_sealing_round_trips_only_with_the_right_key(key: pyrage.x25519.Identity) -> None:
    sealed = seal(b"page bytes", recipient=str(key.to_public()))
    assert b"page bytes" not in sealed
    assert open_sealed(sealed, identities=parse_identities(f"# key\n{key}\n")) == b"page bytes"
    other = pyrage.x25519.Identity.generate()
    with pytest.raises(InputError, match="cannot decrypt"):
        open_sealed(sealed, identities=[other])
    with pytest.raises(InputError, match="cannot decrypt"):
        open_sealed(sealed[:-10], identities=[key])
    with pytest.raises(InputError, match="line 1"):
        parse_identities("AGE-SECRET-KEY-1NOTAKEY\n")
    with pytest.raises(InputError, match="no age private key"):
        parse_identities("# only a comment\n")
    with pytest.raises(ConfigError, match="age public key"):
        seal(b"x", recipient="age1notarecipient")


@pytest.mark.parametrize(
    ("url", "allow_private", "error"),
    [
        ("http://169.254.169.254/latest/meta-data/", True, BlockedAddressError),
        ("http://[::ffff:169.254.169.254]/", True, BlockedAddressError),
        ("http://127.0.0.1:9/", False, BlockedAddressError),
        ("http://localhost/", False, BlockedAddressError),
        ("http://10.0.0.1/", False, BlockedAddressError),
        ("file:///etc/passwd", True, UnsupportedUrlError),
        ("ftp://example.org/x", True, UnsupportedUrlError),
    ],
)
def test_the_browser_may_not_reach_refused_addresses(
    url: str, allow_private: bool, error: type[Exception]
) -> None:
    with pytest.raises(error):
        asyncio.run(_check_request_url(url, allow_private=allow_private))


def test_data_urls_pass_the_browser_guard() -> None:
    asyncio.run(_check_request_url("data:image/png;base64,AAAA", allow_private=False))


@needs_chromium
def test_first_sight_capture_is_sealed_recorded_and_opens_with_the_key(
    tmp_path: Path, key: pyrage.x25519.Identity
) -> None:
    web = ServedWeb(
        routes={"/t/42": Route("text/html", PAGE), "/pic.png": Route("image/png", _png())}
    )
    with serve_web(web) as served:
        db, _ = _db_with_sighting(tmp_path, f"{served.base_url}/t/42")
        settings = CaptureSettings(directory=tmp_path / "captures", chromium=CHROMIUM)
        summary = _capture(db, settings, key)
        again = _capture(db, settings, key)
    assert summary.made == 2, summary
    assert summary.failed == 0
    assert again.sightings == 0  # captured once

    with db.session() as session:
        rows = session.exec(select(CaptureRow).order_by(col(CaptureRow.kind))).all()
    assert [row.kind for row in rows] == ["screenshot", "warc"]
    identities = [key]
    for row in rows:
        assert row.path is not None
        path = settings.directory / row.path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        sealed = path.read_bytes()
        assert b"Thread 42" not in sealed
        opened = open_sealed(sealed, identities=identities)
        assert hashlib.sha256(opened).hexdigest() == row.plaintext_sha256
        assert hashlib.sha256(sealed).hexdigest() == row.encrypted_sha256
        if row.kind == "warc":
            records = list(ArchiveIterator(io.BytesIO(opened)))
            assert [r.rec_type for r in records] == ["request", "response"]
            response = records[1]
            assert response.rec_headers.get_header("WARC-Target-URI").endswith("/t/42")
            assert response.http_headers.get_statuscode() == "200"
        else:
            with Image.open(io.BytesIO(opened)) as shot:
                assert shot.format == "PNG"
                assert shot.width == 1280
                banner = shot.convert("RGB").getpixel((shot.width - 5, 5))
                page = shot.convert("RGB").getpixel((shot.width - 5, 200))
            assert banner == (245, 245, 245)
            assert page == (0xDD, 0xFF, 0xEE)  # the page's own background under the banner
    [report] = verify_evidence(db, client_id="K-17")
    assert report.intact
    # The metadata address the page asked for was refused, and nothing was left in the folder
    # but sealed files.
    leftovers = [p for p in (settings.directory / "K-17").iterdir() if not p.name.endswith(".age")]
    assert leftovers == []
    db.dispose()


@needs_chromium
def test_a_page_that_is_gone_is_recorded_as_a_failed_capture(
    tmp_path: Path, key: pyrage.x25519.Identity
) -> None:
    with serve_web(ServedWeb()) as served:
        base = served.base_url
    db, _ = _db_with_sighting(tmp_path, f"{base}/t/42")  # the server has stopped: refused
    settings = CaptureSettings(
        directory=tmp_path / "captures",
        chromium=CHROMIUM,
        timeout=timedelta(seconds=5),
    )
    summary = _capture(db, settings, key)
    assert summary.made == 0
    assert summary.failed == 2
    with db.session() as session:
        errors = [row.error for row in session.exec(select(CaptureRow)).all()]
    assert all(error and "127.0.0.1" in error for error in errors), errors
    db.dispose()


def test_decrypt_command_writes_the_capture_and_its_digest(
    tmp_path: Path, key: pyrage.x25519.Identity
) -> None:
    sealed = tmp_path / "1-warc-x.warc.gz.age"
    sealed.write_bytes(seal(b"warc bytes", recipient=str(key.to_public())))
    identity = tmp_path / "key.txt"
    identity.write_text(f"# created: now\n{key}\n", encoding="utf-8")
    env = {**os.environ, "MONITOR_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "evidence",
            "decrypt",
            str(sealed),
            "-i",
            str(identity),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    out = tmp_path / "1-warc-x.warc.gz"
    assert result["out"] == str(out)
    assert out.read_bytes() == b"warc bytes"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = subprocess.run(
        [sys.executable, "-m", "monitor", "evidence", "decrypt", str(sealed), "-i", str(identity)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert again.returncode == 2
    assert "exists" in again.stderr
