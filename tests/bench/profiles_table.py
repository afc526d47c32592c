"""The accuracy report's per-profile lines: recall, false matches and margin of each matching
profile ("strict", "standard", "loose"), from the same distance matrices as the main table."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence

import numpy as np

from monitor.fingerprint import MatchSettings
from monitor.fingerprint.profiles import PROFILES
from tests.bench.corpus import Candidate, Enrolled
from tests.bench.transforms import TRANSFORMS
from tests.bench.unrelated import FAR, PairDistances, pair_slack


def print_profiles(
    candidates: Sequence[Candidate],
    enrolled: Sequence[Enrolled],
    distances: PairDistances,
    related: np.ndarray,
    *,
    blank: set[int],
) -> None:
    own_item = {item.source: n for n, item in enumerate(enrolled) if item.kind == "photo"}
    uploads = [
        (row, c.label, own_item[c.source])
        for row, c in enumerate(candidates)
        if c.kind == "re-upload" and c.source is not None and c.source not in blank
    ]
    unrelated = ~related
    print("\nMatching profiles (per-client `matching` in the config; [matching].profile default):")
    print(
        f"  {'profile':<9} {'pdq':>4} {'pHash+dHash':>11} {'regions':>7} {'mild min/mean':>14}"
        f" {'hard min/mean':>14} {'hard >=90%':>10} {'false':>6} {'PDQ margin':>10}"
        f" {'slack margin':>12} {'flat':>4} {'margin':>6}"
    )
    for name in PROFILES:
        settings = MatchSettings(profile=name)
        slack = pair_slack(
            [c.sample.ours for c in candidates],
            [e.sample.ours for e in enrolled],
            settings=settings,
        )
        matched = dataclasses.replace(distances, ours_slack=slack).ours_match(settings)
        shares: dict[bool, list[float]] = {False: [], True: []}
        for transform in TRANSFORMS:
            rows = [(row, own) for row, label, own in uploads if label == transform.name]
            found = sum(bool(matched[row, own]) for row, own in rows)
            shares[transform.hard].append(found / len(rows))
        false = int((matched & unrelated).sum())
        pdq_margin = int(np.where(unrelated, distances.ours_pdq, FAR).min()) - settings.pdq
        slack_margin = int(np.where(unrelated, slack, FAR).min())
        flat_margin = int(np.where(unrelated, distances.ours_flat_pdq, FAR).min()) - (
            settings.flat_pdq
        )
        print(
            f"  {name:<9} {settings.pdq:>4} {f'{settings.phash}+{settings.dhash}':>11}"
            f" {f'{settings.region_phash}+{settings.region_dhash}':>7}"
            f" {_min_mean(shares[False]):>14} {_min_mean(shares[True]):>14}"
            f" {sum(s >= 0.9 for s in shares[True]):>6}/{len(shares[True]):<3}"
            f" {false:>6} {pdq_margin:>+10} {slack_margin:>+12}"
            f" {settings.flat_pdq:>4} {flat_margin:>+6}"
        )


def _min_mean(shares: list[float]) -> str:
    return f"{min(shares):.1%}/{statistics.fmean(shares):.1%}"
