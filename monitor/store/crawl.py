"""What the crawler remembers between sweeps: page validators, image digests, errors, sweeps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from monitor.fingerprint.hashes import Hash
from monitor.store.database import Database
from monitor.store.records import PageState, SweepSummary
from monitor.store.tables import ImageDigestRow, SweepRow, UrlStateRow


def get_page_state(db: Database, url: str) -> PageState | None:
    with db.session() as session:
        row = session.get(UrlStateRow, url)
        if row is None or row.kind != "page" or row.images is None:
            return None
        return PageState(
            url=row.url,
            etag=row.etag,
            last_modified=row.last_modified,
            images=tuple(row.images or ()),
            links=tuple(row.links or ()),
        )


def save_page_state(
    db: Database,
    *,
    url: str,
    checked_at: datetime,
    etag: str | None,
    last_modified: str | None,
    images: Sequence[str],
    links: Sequence[str],
) -> None:
    with db.session() as session:
        row = session.get(UrlStateRow, url) or UrlStateRow(
            url=url, kind="page", checked_at=checked_at
        )
        row.kind = "page"
        row.checked_at = checked_at
        row.etag = etag
        row.last_modified = last_modified
        row.images = list(images)
        row.links = list(links)
        row.last_error = None
        row.error_count = 0
        session.add(row)


def save_image_state(db: Database, *, url: str, checked_at: datetime, sha256: str) -> None:
    with db.session() as session:
        row = session.get(UrlStateRow, url) or UrlStateRow(
            url=url, kind="image", checked_at=checked_at
        )
        row.checked_at = checked_at
        row.sha256 = sha256
        row.last_error = None
        row.error_count = 0
        session.add(row)


def record_url_error(db: Database, *, url: str, kind: str, reason: str, at: datetime) -> None:
    """Keep why a candidate failed, against the candidate, for the operator to read."""
    with db.session() as session:
        row = session.get(UrlStateRow, url) or UrlStateRow(url=url, kind=kind, checked_at=at)
        row.checked_at = at
        row.last_error = reason[:1000]
        row.last_error_at = at
        row.error_count += 1
        session.add(row)


def url_errors(db: Database) -> list[tuple[str, str, datetime]]:
    with db.session() as session:
        rows = session.exec(
            select(UrlStateRow)
            .where(col(UrlStateRow.last_error).is_not(None))
            .order_by(col(UrlStateRow.url))
        ).all()
        return [(row.url, row.last_error or "", row.checked_at) for row in rows]


def is_known_url(db: Database, url: str) -> bool:
    """True when the monitor has looked at `url` before (fetched it, or failed to)."""
    with db.session() as session:
        return session.get(UrlStateRow, url) is not None


def get_digest(db: Database, sha256: str) -> tuple[tuple[Hash, ...] | None, str | None] | None:
    """Known bytes: (their fingerprints, or None and why they could not be fingerprinted)."""
    with db.session() as session:
        row = session.get(ImageDigestRow, sha256)
        if row is None:
            return None
        if row.error is not None:
            return None, row.error
        hashes = tuple(
            Hash(algorithm=algorithm, variant=variant, hex=hex_value)
            for algorithm, variant, hex_value in row.hashes or ()
        )
        return hashes, None


def save_digest(
    db: Database, *, sha256: str, at: datetime, hashes: Sequence[Hash] | None, error: str | None
) -> None:
    try:
        with db.session() as session:
            if session.get(ImageDigestRow, sha256) is not None:
                return
            session.add(
                ImageDigestRow(
                    sha256=sha256,
                    first_fetched=at,
                    hashes=None
                    if hashes is None
                    else [[h.algorithm, h.variant, h.hex] for h in hashes],
                    error=error,
                )
            )
    except IntegrityError:
        pass  # the same bytes were saved by a concurrent task: same content, same fingerprints


def start_sweep(db: Database, *, source: str, at: datetime) -> int:
    with db.session() as session:
        row = SweepRow(source=source, started_at=at)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def finish_sweep(db: Database, *, sweep_id: int, summary: SweepSummary) -> None:
    with db.session() as session:
        row = session.get(SweepRow, sweep_id)
        assert row is not None
        row.finished_at = summary.finished_at
        row.candidates = summary.candidates
        row.new_candidates = summary.new_candidates
        row.pages = summary.pages
        row.images = summary.images
        row.new_sightings = summary.new_sightings
        row.failures = summary.failures
        row.error = summary.error
        session.add(row)
