"""The incident log as data: a JSON document, and a CSV with one row per event of the timeline.

Both carry the same events; JSON adds the nesting per sighting, the figures and the chain check.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from monitor.alerts.render import format_utc
from monitor.report.incident import IncidentLog, SightingRecord

CSV_COLUMNS: Final = (
    "at",
    "sighting_id",
    "event",
    "status",
    "detail",
    "page_url",
    "image_url",
    "sha256",
    "distance",
    "algorithm",
)


# Events at the same instant read in cause-and-effect order: a check, then the status it caused.
_ORDER: Final = {"first_seen": 0, "capture": 1, "check": 2, "takedown": 3, "status": 4}


@dataclass(frozen=True)
class Event:
    at: datetime
    sighting_id: int
    event: str  # first_seen, status, takedown, check, capture
    status: str
    detail: str


def timeline(record: SightingRecord) -> list[Event]:
    """Every dated thing that happened to one sighting, oldest first."""
    sighting = record.sighting
    events = [
        Event(
            sighting.first_seen,
            sighting.id,
            "first_seen",
            "new",
            f"found by source {sighting.source} (HTTP {sighting.http_status}); "
            f"seen {sighting.times_seen} time(s), last at {format_utc(sighting.last_seen)}",
        )
    ]
    for change in record.history:
        detail = "; ".join(
            part
            for part in (
                change.note,
                f"to {change.reported_to}" if change.reported_to else None,
                f"route {change.route}" if change.route else None,
            )
            if part
        )
        events.append(Event(change.at, sighting.id, "status", change.to_status, detail))
    for takedown in record.takedowns:
        events.append(
            Event(
                takedown.prepared_at,
                sighting.id,
                "takedown",
                "",
                f"prepared {takedown.route} request to {takedown.recipient} "
                f"(text SHA-256 {takedown.body_sha256})",
            )
        )
    for check in record.checks:
        statuses = f"image HTTP {check.image_status or '-'}, page HTTP {check.page_status or '-'}"
        events.append(
            Event(
                check.checked_at,
                sighting.id,
                "check",
                check.outcome,
                f"{statuses}; {check.detail}" if check.detail else statuses,
            )
        )
    for capture in record.captures:
        detail = (
            f"failed: {capture.error}"
            if capture.error
            else f"SHA-256 {capture.plaintext_sha256} (encrypted file {capture.encrypted_sha256})"
        )
        events.append(Event(capture.created_at, sighting.id, "capture", capture.kind, detail))
    return sorted(events, key=lambda event: (event.at, _ORDER[event.event]))


def to_csv(log: IncidentLog) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in log.sightings:
        sighting = record.sighting
        for event in timeline(record):
            writer.writerow(
                [
                    format_utc(event.at),
                    event.sighting_id,
                    event.event,
                    event.status,
                    _defuse(event.detail),
                    _defuse(sighting.page_url),
                    _defuse(sighting.image_url),
                    sighting.sha256,
                    sighting.distance,
                    sighting.algorithm,
                ]
            )
    return buffer.getvalue()


def to_json(log: IncidentLog) -> str:
    return json.dumps(as_document(log), indent=2, ensure_ascii=False) + "\n"


def as_document(log: IncidentLog) -> dict[str, Any]:
    totals = log.totals
    return {
        "client": log.client_id,
        "generated_at": format_utc(log.generated_at),
        "period": {
            "start": _time(log.period_start),
            "end": _time(log.period_end),
        },
        "summary": {
            "found": totals.found,
            "reported": totals.reported,
            "removed": totals.removed,
            "back_after_removal": totals.back,
            "removal_rate": totals.removal_rate,
            "median_report_to_removal_seconds": (
                None
                if totals.median_report_to_removal is None
                else totals.median_report_to_removal.total_seconds()
            ),
        },
        "sightings": [_sighting_document(record) for record in log.sightings],
        "evidence_log": {
            "intact": log.chain.intact,
            "entries": log.chain.entries,
            "head_sha256": log.chain.head_sha256,
            "problem": None
            if log.chain.problem is None
            else {
                "seq": log.chain.problem.seq,
                "kind": log.chain.problem.kind,
                "detail": log.chain.problem.detail,
            },
        },
    }


def _sighting_document(record: SightingRecord) -> dict[str, Any]:
    sighting = record.sighting
    return {
        "id": sighting.id,
        "status": sighting.status,
        "page_url": sighting.page_url,
        "image_url": sighting.image_url,
        "final_url": sighting.final_url,
        "source": sighting.source,
        "first_seen": format_utc(sighting.first_seen),
        "last_seen": format_utc(sighting.last_seen),
        "times_seen": sighting.times_seen,
        "sha256": sighting.sha256,
        "distance": sighting.distance,
        "algorithm": sighting.algorithm,
        "http_status": sighting.http_status,
        "takedown_url": sighting.takedown_url,
        "events": [
            {
                "at": format_utc(event.at),
                "event": event.event,
                "status": event.status,
                "detail": event.detail,
            }
            for event in timeline(record)
        ],
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_utc(moment)


def _defuse(text: str) -> str:
    """A cell starting with = + - @ would run as a formula in a spreadsheet: quote it."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
