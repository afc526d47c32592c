"""The incident log: every format carries the case, the sightings, their history and the chain."""

from __future__ import annotations

import csv
import io
import json
from ctypes.util import find_library
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import update
from sqlmodel import col

from monitor.fingerprint.hashes import Hash
from monitor.report.incident import IncidentLog, collect_incident_log
from monitor.report.tabular import to_csv, to_json
from monitor.store import Database
from monitor.store.clients import add_client, enroll_item
from monitor.store.records import Observation
from monitor.store.review import change_status
from monitor.store.sightings import record_sighting
from monitor.store.tables import CaptureRow, EvidenceEntryRow, SightingCheckRow
from monitor.store.takedowns import record_takedown

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
needs_pango = pytest.mark.skipif(
    find_library("pangoft2-1.0") is None,
    reason="WeasyPrint needs Pango: apt install libpango-1.0-0 libpangoft2-1.0-0",
)
HOSTILE_PAGE = 'https://board.example/t/1?q=<script>alert("x")</script>'


def _sighting(db: Database, *, client: str, item: int, url: str, page: str, at: datetime) -> int:
    return record_sighting(
        db,
        observation=Observation(
            client_id=client,
            item_id=item,
            image_url=url,
            page_url=page,
            final_url=url,
            source="board",
            seen_at=at,
            distance=3,
            algorithm="pdq",
            sha256="ab" * 32,
            http_status=200,
        ),
        takedown_url="mailto:abuse@board.example",
    ).sighting.id


@pytest.fixture
def case(db: Database) -> Database:
    fill_case(db)
    return db


def fill_case(db: Database) -> None:
    """K-17: one sighting reported and verified removed, one dismissed, one new; and another
    client's sighting on the same site that must never show up in K-17's log."""
    for client in ("K-17", "other"):
        add_client(db, client_id=client)
    item = enroll_item(
        db, client_id="K-17", hashes=[Hash("pdq", "c" * 64)], sha256=None, origin="import"
    ).item_id
    other_item = enroll_item(
        db, client_id="other", hashes=[Hash("pdq", "d" * 64)], sha256=None, origin="import"
    ).item_id
    removed = _sighting(
        db,
        client="K-17",
        item=item,
        url="https://img.board.example/1.jpg",
        page=HOSTILE_PAGE,
        at=T0,
    )
    dismissed = _sighting(
        db,
        client="K-17",
        item=item,
        url="https://img.board.example/2.jpg",
        page="https://board.example/t/2",
        at=T0 + timedelta(hours=1),
    )
    _sighting(
        db,
        client="K-17",
        item=item,
        url="https://mirror.example/3.jpg",
        page="https://mirror.example/p",
        at=T0 + timedelta(days=2),
    )
    _sighting(
        db,
        client="other",
        item=other_item,
        url="https://img.board.example/secret-other.jpg",
        page="https://board.example/other-case",
        at=T0,
    )
    change_status(db, sighting_id=removed, to_status="confirmed", at=T0 + timedelta(hours=2))
    record_takedown(
        db,
        sighting_id=removed,
        prepared_at=T0 + timedelta(hours=3),
        route="email",
        recipient="abuse@board.example",
        subject="Removal request",
        body="Please remove it.",
    )
    change_status(
        db,
        sighting_id=removed,
        to_status="reported",
        at=T0 + timedelta(hours=4),
        reported_to="abuse@board.example",
        route="email",
    )
    change_status(
        db,
        sighting_id=dismissed,
        to_status="dismissed",
        at=T0 + timedelta(hours=5),
        note="someone else",
    )
    with db.session() as session:
        for hours, outcome, status in ((28, "absent", 404), (34, "absent", 404)):
            session.add(
                SightingCheckRow(
                    sighting_id=removed,
                    client_id="K-17",
                    checked_at=T0 + timedelta(hours=hours),
                    outcome=outcome,
                    image_status=status,
                    page_status=status,
                    detail="image gone",
                )
            )
        session.add(
            CaptureRow(
                sighting_id=removed,
                client_id="K-17",
                created_at=T0,
                kind="screenshot",
                path="K-17/1.png.age",
                plaintext_sha256="11" * 32,
                encrypted_sha256="22" * 32,
                size=1234,
            )
        )
    change_status(
        db,
        sighting_id=removed,
        to_status="removed",
        at=T0 + timedelta(hours=34),
        note="verified removed",
    )


def _log(db: Database) -> IncidentLog:
    return collect_incident_log(db, client_id="K-17", now=T0 + timedelta(days=3))


def test_the_log_holds_one_clients_sightings_with_figures_and_an_intact_chain(
    case: Database,
) -> None:
    log = _log(case)
    assert [r.sighting.status for r in log.sightings] == ["removed", "dismissed", "new"]
    assert log.totals.found == 2  # the dismissed one is not counted as found
    assert log.totals.reported == 1
    assert log.totals.removed == 1
    assert log.totals.removal_rate == 1.0
    assert log.totals.median_report_to_removal == timedelta(hours=30)
    assert log.chain.intact
    assert log.chain.entries >= 7
    assert len(log.chain.head_sha256) == 64
    assert log.period_start == T0


def test_json_and_csv_carry_the_same_events(case: Database) -> None:
    log = _log(case)
    document = json.loads(to_json(log))
    rows = list(csv.DictReader(io.StringIO(to_csv(log))))
    assert document["client"] == "K-17"
    assert document["evidence_log"]["intact"] is True
    json_events = [
        (s["id"], e["at"], e["event"], e["status"])
        for s in document["sightings"]
        for e in s["events"]
    ]
    csv_events = [(int(r["sighting_id"]), r["at"], r["event"], r["status"]) for r in rows]
    assert json_events == csv_events
    kinds = {event for _, _, event, _ in csv_events}
    assert kinds == {"first_seen", "status", "takedown", "check", "capture"}
    assert all(at.endswith("Z") for _, at, _, _ in csv_events)
    text = to_json(log) + to_csv(log)
    assert "secret-other" not in text
    assert "other-case" not in text


def test_a_spreadsheet_formula_in_a_url_is_defused_in_csv(db: Database) -> None:
    add_client(db, client_id="K-17")
    item = enroll_item(
        db, client_id="K-17", hashes=[Hash("pdq", "c" * 64)], sha256=None, origin="import"
    ).item_id
    _sighting(
        db, client="K-17", item=item, url="https://x.example/a.jpg", page="=HYPERLINK(1)", at=T0
    )
    rows = list(csv.DictReader(io.StringIO(to_csv(_log(db)))))
    assert rows[0]["page_url"] == "'=HYPERLINK(1)"


def test_html_escapes_hostile_urls_and_embeds_no_image(case: Database) -> None:
    from monitor.report.html import render_html

    html = render_html(_log(case))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html.lower()
    assert "<svg" in html  # the timeline chart, inline
    assert "Incident log: case K-17" in html
    assert "Intact: " in html
    assert _log(case).chain.head_sha256 in html
    assert "2026-10-01T09:00:00Z" in html
    assert "30.0 hours" in html
    assert "secret-other" not in html


@needs_pango
def test_pdf_has_the_case_figures_sightings_and_chain(case: Database, tmp_path: Path) -> None:
    from monitor.report.html import render_html
    from monitor.report.pdf import render_pdf

    log = _log(case)
    pdf = render_pdf(render_html(log))
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    assert "Incident log: case K-17" in flat
    assert "Sighting 1: removed" in flat or "removed" in flat
    assert "abuse@board.example" in flat
    assert "Intact" in flat
    assert log.chain.head_sha256[:32] in flat.replace(" ", "")
    assert "secret-other" not in flat


def test_a_tampered_evidence_log_is_reported_broken(case: Database) -> None:
    with case.session() as session:
        session.execute(
            update(EvidenceEntryRow)
            .where(col(EvidenceEntryRow.client_id) == "K-17")
            .where(col(EvidenceEntryRow.seq) == 2)
            .values(content=col(EvidenceEntryRow.content) + " ")
        )
    log = _log(case)
    assert not log.chain.intact
    assert log.chain.problem is not None
    assert log.chain.problem.seq == 2
    from monitor.report.html import render_html

    assert "BROKEN at entry 2" in render_html(log)
    assert json.loads(to_json(log))["evidence_log"]["intact"] is False


@needs_pango
def test_rendering_a_pdf_leaves_truncated_images_refused(case: Database) -> None:
    """WeasyPrint switches Pillow to decoding truncated files when imported; the fingerprinter
    in the same process must still refuse a truncated download."""
    from PIL import Image, ImageFile

    from monitor.errors import ImageError
    from monitor.fingerprint import fingerprint_candidate
    from monitor.report.html import render_html
    from monitor.report.pdf import render_pdf

    render_pdf(render_html(_log(case)))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    picture = io.BytesIO()
    Image.radial_gradient("L").convert("RGB").resize((640, 480)).save(picture, format="JPEG")
    truncated = picture.getvalue()[: len(picture.getvalue()) // 3]
    with pytest.raises(ImageError):
        fingerprint_candidate(truncated, max_pixels=50_000_000)
