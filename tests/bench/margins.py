"""The unrelated-pairs part of the accuracy report: pairs compared, false matches and margins."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.fingerprint import MatchSettings
from tests.bench.baselines import FLAT_QUALITY, PLAIN_PDQ_THRESHOLD, PLAIN_PHASH_THRESHOLD
from tests.bench.corpus import Candidate, Enrolled
from tests.bench.unrelated import FAR, PairDistances


def print_unrelated(
    candidates: Sequence[Candidate],
    enrolled: Sequence[Enrolled],
    distances: PairDistances,
    related: np.ndarray,
    *,
    names: Sequence[str],
    settings: MatchSettings,
) -> None:
    unrelated = ~related
    kinds = list(dict.fromkeys(c.kind for c in candidates))
    item_kinds = list(dict.fromkeys(e.kind for e in enrolled))
    print(
        f"\nUnrelated pairs compared: {int(unrelated.sum()):,} (candidate, enrolled item) pairs"
        f" of {len(candidates):,} candidates x {len(enrolled):,} items; pairs that share a photo"
        " (or the same picture in other colours) are left out"
    )
    print(
        "  candidates: "
        + ", ".join(f"{sum(c.kind == k for c in candidates):,} {k}" for k in kinds)
        + "; items: "
        + ", ".join(f"{sum(e.kind == k for e in enrolled):,} {k}" for k in item_kinds)
    )
    ours_match = distances.ours_match(settings)
    flat_candidates = np.array([c.sample.plain.quality < FLAT_QUALITY for c in candidates])
    flat_items = np.array([e.sample.plain.quality < FLAT_QUALITY for e in enrolled])
    not_flat = unrelated & ~flat_candidates[:, None] & ~flat_items[None, :]
    measures = (
        ("ours: PDQ, any variant", unrelated, distances.ours_pdq, settings.pdq),
        ("ours: flat PDQ", unrelated, distances.ours_flat_pdq, settings.flat_pdq),
        ("ours: pHash+dHash slack", unrelated, distances.ours_slack, 0),
        ("plain PDQ", unrelated, distances.plain_pdq, PLAIN_PDQ_THRESHOLD),
        ("plain pHash", unrelated, distances.plain_phash, PLAIN_PHASH_THRESHOLD),
        ("plain PDQ, no flat", not_flat, distances.plain_pdq, PLAIN_PDQ_THRESHOLD),
        ("plain pHash, no flat", not_flat, distances.plain_phash, PLAIN_PHASH_THRESHOLD),
    )
    print(
        f"  {'algorithm':<24} {'pairs':>10} {'threshold':>11} {'false':>7} {'smallest':>9}"
        f" {'margin':>7}  closest unrelated pair"
    )
    for label, mask, values, threshold in measures:
        masked = np.where(mask, values, FAR)
        false = int((masked <= threshold).sum())
        row, column = (int(n) for n in np.unravel_index(int(np.argmin(masked)), masked.shape))
        smallest = int(masked[row, column])
        shown = "(none)" if smallest == FAR else str(smallest)
        threshold_text = (
            f"{settings.phash}+{settings.dhash}/{settings.region_phash}+{settings.region_dhash}"
            if "slack" in label
            else threshold
        )
        print(
            f"  {label:<24} {int(mask.sum()):>10,} {threshold_text:>11} {false:>7,} {shown:>9}"
            f" {smallest - threshold:>+7}"
            f"  {_candidate(candidates[row], names)} ~ {_item(enrolled[column], names)}"
        )
    false_pairs = np.argwhere(ours_match & unrelated)
    print(
        f"  {'ours (either rule)':<24} {int(unrelated.sum()):>10,} {'':>9} {len(false_pairs):>7,}"
    )
    print(
        "  slack = max(pHash - phash, dHash - dhash) of the closest same-orientation pair (whole"
        " pictures; regions at region_phash/region_dhash); it"
        f" matches at <= 0. 'no flat': pictures of plain PDQ quality < {FLAT_QUALITY} left out"
        " (ThreatExchange's cut-off; blank overlays and flat fills)"
    )
    for row, column in false_pairs[:12]:
        print(
            f"    false match: {_candidate(candidates[row], names)} ~ "
            f"{_item(enrolled[column], names)}: PDQ {distances.ours_pdq[row, column]},"
            f" flat PDQ {distances.ours_flat_pdq[row, column]},"
            f" slack {distances.ours_slack[row, column]}"
        )
    _print_by_kind(candidates, distances, unrelated, ours_match, kinds)


def _print_by_kind(
    candidates: Sequence[Candidate],
    distances: PairDistances,
    unrelated: np.ndarray,
    ours_match: np.ndarray,
    kinds: list[str],
) -> None:
    print("  smallest unrelated distance and false matches by kind of candidate:")
    print(
        f"    {'candidates':<12} {'pairs':>10} {'ours PDQ':>9} {'ours slack':>11}"
        f" {'plain PDQ':>10} {'plain pHash':>12} {'false: ours/PDQ/pHash':>22}"
    )
    kind_of = np.array([c.kind for c in candidates])
    for kind in kinds:
        rows = kind_of == kind
        mask = unrelated[rows]

        def smallest(values: np.ndarray, mask: np.ndarray = mask, rows: np.ndarray = rows) -> int:
            return int(np.where(mask, values[rows], FAR).min())

        false = (
            int((ours_match[rows] & mask).sum()),
            int(((distances.plain_pdq[rows] <= PLAIN_PDQ_THRESHOLD) & mask).sum()),
            int(((distances.plain_phash[rows] <= PLAIN_PHASH_THRESHOLD) & mask).sum()),
        )
        print(
            f"    {kind:<12} {int(mask.sum()):>10,} {smallest(distances.ours_pdq):>9}"
            f" {smallest(distances.ours_slack):>11} {smallest(distances.plain_pdq):>10}"
            f" {smallest(distances.plain_phash):>12} {'/'.join(map(str, false)):>22}"
        )


def _candidate(candidate: Candidate, names: Sequence[str]) -> str:
    if candidate.source is None:
        return candidate.label
    return f"{candidate.label} of {names[candidate.source]}"


def _item(item: Enrolled, names: Sequence[str]) -> str:
    return names[item.source] if item.kind == "photo" else f"decoy of {names[item.source]}"
