"""Images a client's reviewer dismissed as false positives, kept so they are not alerted again.

A suppression holds the dismissed image's SHA-256 and its fingerprints (from the digest cache of
fetched images); the pipeline compares later candidates against them (see
`monitor.fingerprint.suppression`). The dismissal itself stays in the evidence log.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from monitor.fingerprint.hashes import Hash
from monitor.fingerprint.suppression import Suppression
from monitor.store.database import Database
from monitor.store.evidence import append_evidence
from monitor.store.tables import ImageDigestRow, SightingRow, SuppressionRow


def suppress_dismissed(
    session: Session, *, sighting: SightingRow, at: datetime, note: str | None
) -> SuppressionRow:
    """Remember the dismissed sighting's image for its client, in the caller's transaction."""
    digest = session.get(ImageDigestRow, sighting.sha256)
    hashes = digest.hashes if digest is not None and digest.hashes else None
    row = SuppressionRow(
        client_id=sighting.client_id,
        sighting_id=sighting.id,
        item_id=sighting.item_id,
        created_at=at,
        sha256=sighting.sha256,
        hashes=hashes,
        note=note,
    )
    session.add(row)
    session.flush()
    append_evidence(
        session,
        client_id=sighting.client_id,
        kind="suppressed",
        at=at,
        sighting_id=sighting.id,
        content={"suppression_id": row.id, "sha256": sighting.sha256, "hashes": hashes or []},
    )
    return row


def load_suppressions(db: Database) -> list[Suppression]:
    """Every client's suppressions, for one sweep."""
    with db.session() as session:
        rows = session.exec(select(SuppressionRow).order_by(col(SuppressionRow.id))).all()
        return [_suppression(row) for row in rows]


def _suppression(row: SuppressionRow) -> Suppression:
    assert row.id is not None
    hashes: list[Hash] = []
    for algorithm, variant, hex_value in row.hashes or ():
        try:
            hashes.append(Hash(algorithm=algorithm, variant=variant, hex=hex_value))
        except ValueError:
            continue  # a variant an older or newer version wrote; the digest still suppresses
    return Suppression(id=row.id, client_id=row.client_id, sha256=row.sha256, hashes=tuple(hashes))
