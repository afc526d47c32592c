"""Why a match is not recorded for a client: her own page (allow-list) or an image dismissed before.

Pure: the pipeline asks before it records a sighting, and logs the reason it gets back. Nothing
is recorded and nobody is alerted for a skipped match; the dismissal that caused it stays in the
client's evidence log.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.allowlist import AllowList
from monitor.fingerprint.matching import Match
from monitor.fingerprint.suppression import SuppressionIndex


def reason_not_to_record(
    *,
    client_id: str,
    urls: Sequence[str],
    allow_list: AllowList | None,
    suppressions: SuppressionIndex,
    near: dict[str, Match],
    sha256: str,
    algorithm: str,
    distance: int,
) -> str | None:
    """None to record the match; otherwise the reason, for the operator's log (no URLs in it).

    `urls` are the page, image and final image URL; `near` is `suppressions.near(hashes)`.
    """
    if allow_list:
        entry = allow_list.allowing(*urls)
        if entry is not None:
            return f"on the client's allow-list ({entry.text})"
    suppressed = suppressions.check(
        client_id=client_id, sha256=sha256, near=near, algorithm=algorithm, distance=distance
    )
    if suppressed is not None:
        return (
            f"dismissed before as a false positive (suppression {suppressed.suppression_id}, "
            f"{suppressed.algorithm} distance {suppressed.distance})"
        )
    return None
