"""`monitor scan` captures each new sighting's page for a client that asked for captures."""

from __future__ import annotations

import io
import json

import pyrage
from sqlmodel import select
from warcio.archiveiterator import ArchiveIterator

from monitor.capture.seal import open_sealed
from monitor.store import open_database
from monitor.store.tables import CaptureRow, SightingRow
from tests.conftest import Cli, SampleWeb, loopback_config, sample_sources


def test_scan_captures_new_sightings_of_the_clients_that_asked(
    cli: Cli, sample_web: SampleWeb
) -> None:
    key = pyrage.x25519.Identity.generate()
    inputs = cli.cwd / "inputs"
    inputs.mkdir()
    (inputs / "a.jpg").write_bytes(sample_web.site.originals[0])
    (inputs / "b.jpg").write_bytes(sample_web.site.originals[1])
    config = loopback_config(
        database=cli.cwd / "monitor.db",
        sources=sample_sources(sample_web.site),
        extra='[captures]\nscreenshot = false\ndirectory = "sealed"\n',
        clients=f"""
[[clients]]
id = "with-captures"
capture = true
age_recipient = "{key.to_public()}"

[[clients]]
id = "without"
""",
    )
    (cli.cwd / "monitor.toml").write_text(config, encoding="utf-8")
    cli("client", "add", "with-captures")
    cli("client", "add", "without")
    cli("enroll", "--client", "with-captures", str(inputs / "a.jpg"))
    cli("enroll", "--client", "without", str(inputs / "b.jpg"))

    cli("scan", "--json")

    db = open_database(f"sqlite:///{cli.cwd / 'monitor.db'}")
    with db.session() as session:
        sightings = session.exec(select(SightingRow)).all()
        captures = session.exec(select(CaptureRow)).all()
    db.dispose()
    captured = {row.id for row in sightings if row.client_id == "with-captures"}
    assert captured
    assert any(row.client_id == "without" for row in sightings)
    assert {c.sighting_id for c in captures} == captured  # one WARC each, nothing for "without"
    assert {c.kind for c in captures} == {"warc"}
    assert all(c.error is None for c in captures), [c.error for c in captures]
    page_urls = {row.id: row.page_url for row in sightings}
    for capture in captures:
        assert capture.path is not None
        opened = open_sealed((cli.cwd / "sealed" / capture.path).read_bytes(), identities=[key])
        [request, response] = list(ArchiveIterator(io.BytesIO(opened)))
        assert request.rec_type == "request"
        target = response.rec_headers.get_header("WARC-Target-URI")
        assert target == page_urls[capture.sighting_id] or target.startswith("http://127.0.0.1")

    again = json.loads(cli("scan", "--json").stdout)
    assert again["sweeps"]
    db = open_database(f"sqlite:///{cli.cwd / 'monitor.db'}")
    with db.session() as session:
        assert len(session.exec(select(CaptureRow)).all()) == len(captures)  # captured once
    db.dispose()
