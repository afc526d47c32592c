"""The per-client, tamper-evident evidence log: append an entry, re-compute the chain.

Each entry's `content` is canonical JSON (sorted keys, compact, UTF-8) of everything the entry
says, its own client, seq, kind, time and sighting included, and
`entry_sha256 = SHA-256(prev_sha256 + content)`, with 64 zeros before the first entry. Changing,
deleting or re-ordering any row therefore breaks the chain from that row on, which `verify_chain`
finds. Entries are appended inside the caller's transaction, so a sighting and its entry commit
together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import update
from sqlmodel import Session, col, select

from monitor.errors import UnknownClientError
from monitor.store.database import Database, StoreError
from monitor.store.tables import ClientRow, EvidenceEntryRow

GENESIS_SHA256: Final = "0" * 64
LOG_FORMAT: Final = 1  # bump when the canonical form changes; verification reads it per entry
KINDS: Final = frozenset(
    {"first_seen", "seen_again", "status", "suppressed", "recheck", "takedown", "capture"}
)
# The fields every entry's content carries besides the caller's `data`, mirrored in columns.
_ENVELOPE: Final = ("at", "client_id", "data", "format", "kind", "seq", "sighting_id")


def canonical_json(value: Any) -> str:
    """The one text an entry is hashed as. Datetimes become ISO 8601 UTC strings."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )


def entry_hash(prev_sha256: str, content: str) -> str:
    return hashlib.sha256((prev_sha256 + content).encode("utf-8")).hexdigest()


def iso_utc(moment: datetime) -> str:
    """ISO 8601 UTC with microseconds and a Z: the same instant always gives the same text."""
    if moment.tzinfo is None:
        raise ValueError("refusing a naive datetime in the evidence log; use datetime.now(UTC)")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def append_evidence(
    session: Session,
    *,
    client_id: str,
    kind: str,
    at: datetime,
    sighting_id: int | None,
    content: Mapping[str, Any],
) -> EvidenceEntryRow:
    """Append one entry to `client_id`'s log inside the caller's session (not committed here).

    The client's row is locked first (PostgreSQL: SELECT ... FOR NO KEY UPDATE, which does not
    wait on rows that merely reference the client; SQLite: a no-op UPDATE that takes the
    database's write lock), so concurrent appenders for one client queue up instead of forking
    the chain; the unique (client_id, seq) constraint is the backstop.
    """
    if kind not in KINDS:
        raise ValueError(
            f"{kind!r} is not an evidence kind; use one of: {', '.join(sorted(KINDS))}"
        )
    _lock_client_log(session, client_id)
    head = session.exec(
        select(EvidenceEntryRow)
        .where(col(EvidenceEntryRow.client_id) == client_id)
        .order_by(col(EvidenceEntryRow.seq).desc())
        .limit(1)
    ).first()
    seq = 1 if head is None else head.seq + 1
    prev_sha256 = GENESIS_SHA256 if head is None else head.entry_sha256
    text = canonical_json(
        {
            "at": iso_utc(at),
            "client_id": client_id,
            "data": dict(content),
            "format": LOG_FORMAT,
            "kind": kind,
            "seq": seq,
            "sighting_id": sighting_id,
        }
    )
    row = EvidenceEntryRow(
        client_id=client_id,
        seq=seq,
        at=at,
        kind=kind,
        sighting_id=sighting_id,
        content=text,
        prev_sha256=prev_sha256,
        entry_sha256=entry_hash(prev_sha256, text),
    )
    session.add(row)
    session.flush()
    return row


def _lock_client_log(session: Session, client_id: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        locked = session.exec(
            select(ClientRow.id)
            .where(col(ClientRow.id) == client_id)
            .with_for_update(key_share=True)
        ).first()
        found = locked is not None
    else:
        result = session.execute(
            update(ClientRow)
            .where(col(ClientRow.id) == client_id)
            .values(notify_urls=col(ClientRow.notify_urls))
            .execution_options(synchronize_session=False)
        )
        found = result.rowcount == 1  # type: ignore[attr-defined]
    if not found:
        raise StoreError(f"no client {client_id!r}: cannot add to its evidence log")


@dataclass(frozen=True)
class ChainProblem:
    """The first entry where the chain does not hold, and what is wrong with it."""

    seq: int
    entry_id: int | None
    kind: str  # seq_gap, content_altered, broken_link, columns_altered, reordered, head_missing
    detail: str


@dataclass(frozen=True)
class ChainReport:
    client_id: str
    entries: int
    head_sha256: str  # of the last entry checked; GENESIS_SHA256 for an empty log
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def verify_chain(
    client_id: str, entries: Iterable[EvidenceEntryRow], *, earlier_head: str | None = None
) -> ChainReport:
    """Re-compute one client's chain from `entries` in (seq, id) order; stop at the first break.

    `earlier_head`, a head hash printed before, must still be in the chain: that catches entries
    removed from the end, which leave a shorter chain that is intact in itself.
    """
    head_found = earlier_head is None or earlier_head == GENESIS_SHA256
    expected_prev = GENESIS_SHA256
    expected_seq = 1
    previous_id = 0
    count = 0
    for entry in entries:
        count += 1
        problem = _check_entry(entry, expected_seq=expected_seq, expected_prev=expected_prev)
        if problem is None and entry.id is not None and entry.id <= previous_id:
            # Appends take ids in order; a later seq on an older row was written back by hand.
            problem = ChainProblem(
                seq=entry.seq,
                entry_id=entry.id,
                kind="reordered",
                detail=f"row id {entry.id} holds seq {entry.seq} after row id {previous_id}: "
                "rows were rewritten out of the order they were appended in",
            )
        if problem is not None:
            return ChainReport(
                client_id=client_id, entries=count, head_sha256=expected_prev, problem=problem
            )
        expected_prev = entry.entry_sha256
        expected_seq = entry.seq + 1
        previous_id = entry.id or previous_id
        head_found = head_found or entry.entry_sha256 == earlier_head
    truncated = None
    if not head_found:
        truncated = ChainProblem(
            seq=expected_seq,
            entry_id=None,
            kind="head_missing",
            detail=f"no entry hashes to the earlier head {earlier_head}: entries were removed "
            "from the end of the log, or the whole log was rewritten",
        )
    return ChainReport(
        client_id=client_id, entries=count, head_sha256=expected_prev, problem=truncated
    )


def _check_entry(
    entry: EvidenceEntryRow, *, expected_seq: int, expected_prev: str
) -> ChainProblem | None:
    def problem(kind: str, detail: str) -> ChainProblem:
        return ChainProblem(seq=entry.seq, entry_id=entry.id, kind=kind, detail=detail)

    if entry.seq != expected_seq:
        missing = (
            f"entries {expected_seq}..{entry.seq - 1} are missing"
            if entry.seq > expected_seq
            else f"expected seq {expected_seq}"
        )
        return problem("seq_gap", f"seq {entry.seq} follows seq {expected_seq - 1}: {missing}")
    if entry_hash(entry.prev_sha256, entry.content) != entry.entry_sha256:
        return problem(
            "content_altered",
            "the entry's content or hash was changed or moved here: SHA-256 of its previous "
            "hash and its content does not give its stored entry hash",
        )
    if entry.prev_sha256 != expected_prev:
        return problem(
            "broken_link",
            f"the entry points back to {entry.prev_sha256[:16]}..., but the entry before it "
            f"hashes to {expected_prev[:16]}...: an entry before it was changed, removed or moved",
        )
    mismatch = _columns_mismatch(entry)
    if mismatch is not None:
        return problem("columns_altered", mismatch)
    return None


def _columns_mismatch(entry: EvidenceEntryRow) -> str | None:
    """The row's columns must say what its hashed content says (seq, kind, time, sighting)."""
    try:
        content = json.loads(entry.content)
    except ValueError:
        return "the hashed content is not JSON"
    if not isinstance(content, dict) or set(content) != set(_ENVELOPE):
        return "the hashed content does not have the fields of an evidence entry"
    if canonical_json(content) != entry.content:
        return "the hashed content is not in canonical form"
    for column, stored, hashed in (
        ("client_id", entry.client_id, content["client_id"]),
        ("seq", entry.seq, content["seq"]),
        ("kind", entry.kind, content["kind"]),
        ("at", iso_utc(entry.at), content["at"]),
        ("sighting_id", entry.sighting_id, content["sighting_id"]),
    ):
        if stored != hashed:
            return f"column {column} is {stored!r} but the hashed content says {hashed!r}"
    return None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, tuple | frozenset | set):
        return sorted(value) if isinstance(value, frozenset | set) else list(value)
    raise TypeError(f"{type(value).__name__} cannot be written to the evidence log")


def verify_evidence(
    db: Database, *, client_id: str | None = None, earlier_head: str | None = None
) -> list[ChainReport]:
    """Re-compute every client's chain (or one client's), streaming entries in (seq, id) order.

    `earlier_head` (with `client_id`): a head hash that client's log had before."""
    if earlier_head is not None and client_id is None:
        raise ValueError("an earlier head belongs to one client's log: name the client")
    with db.session() as session:
        if client_id is None:
            client_ids = list(session.exec(select(ClientRow.id).order_by(col(ClientRow.id))))
        elif session.get(ClientRow, client_id) is None:
            raise UnknownClientError(client_id)
        else:
            client_ids = [client_id]
        reports = []
        for one in client_ids:
            entries = session.exec(
                select(EvidenceEntryRow)
                .where(col(EvidenceEntryRow.client_id) == one)
                .order_by(col(EvidenceEntryRow.seq), col(EvidenceEntryRow.id))
                .execution_options(yield_per=500)
            )
            reports.append(verify_chain(one, entries, earlier_head=earlier_head))
            session.expunge_all()
        return reports
