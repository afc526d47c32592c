from __future__ import annotations

import random
import time

import pytest
from pydantic import ValidationError

from monitor.fingerprint.hashes import (
    FLAT_PREFIX,
    ORIENTATIONS,
    VARIANTS,
    WHOLE_VARIANTS,
    Hash,
    hamming,
)
from monitor.fingerprint.matching import (
    MIN_REGION_DHASH_BITS,
    IndexEntry,
    Match,
    MatchIndex,
    MatchSettings,
    informative_dhash,
)
from monitor.fingerprint.regions import HALF_VARIANTS, REGION_VARIANTS

SETTINGS = MatchSettings()


def random_hex(rng: random.Random, bits: int) -> str:
    return format(rng.getrandbits(bits), f"0{bits // 4}x")


def flip_bits(hex_text: str, count: int, *, seed: int = 0) -> str:
    """The hash with `count` distinct bits flipped."""
    bits = len(hex_text) * 4
    value = int(hex_text, 16)
    for position in random.Random(seed).sample(range(bits), count):
        value ^= 1 << position
    return format(value, f"0{len(hex_text)}x")


def item_hashes(seed: int, variants: tuple[str, ...] = ("original",)) -> list[Hash]:
    rng = random.Random(seed)
    hashes = []
    for variant in variants:
        hashes.append(Hash("pdq", random_hex(rng, 256), variant))
        hashes.append(Hash("phash", random_hex(rng, 64), variant))
        hashes.append(Hash("dhash", random_hex(rng, 64), variant))
    return hashes


def entries(client_id: str, item_id: int, hashes: list[Hash]) -> list[IndexEntry]:
    return [IndexEntry(client_id, item_id, h) for h in hashes]


def of(hashes: list[Hash], algorithm: str, variant: str = "original") -> Hash:
    return next(h for h in hashes if h.algorithm == algorithm and h.variant == variant)


def test_default_settings_are_the_calibrated_ones() -> None:
    assert SETTINGS.pdq == 31
    assert (SETTINGS.phash, SETTINGS.dhash) == (12, 6)
    assert SETTINGS.profile == "standard"


def test_settings_validate_like_a_config_section() -> None:
    assert MatchSettings(pdq=20, phash=8, dhash=8).pdq == 20
    with pytest.raises(ValidationError):
        MatchSettings(pdq=-1)
    with pytest.raises(ValidationError):
        MatchSettings(pdq=300)
    with pytest.raises(ValidationError):
        MatchSettings(pqd=20)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        SETTINGS.pdq = 5  # type: ignore[misc]
    assert all(field.description for field in MatchSettings.model_fields.values())


def test_pdq_within_threshold_matches_and_one_past_does_not() -> None:
    enrolled = item_hashes(1)
    index = MatchIndex(entries("alice", 7, enrolled), settings=SETTINGS)
    pdq = of(enrolled, "pdq").hex
    at_limit = Hash("pdq", flip_bits(pdq, SETTINGS.pdq))
    assert index.match([at_limit]) == [Match("alice", 7, "pdq", SETTINGS.pdq)]
    assert index.match([Hash("pdq", flip_bits(pdq, SETTINGS.pdq + 1))]) == []


def test_pdq_matches_any_enrolled_orientation() -> None:
    enrolled = item_hashes(2, ("original", "rot90", "flip"))
    index = MatchIndex(entries("alice", 1, enrolled), settings=SETTINGS)
    mirrored = Hash("pdq", flip_bits(of(enrolled, "pdq", "flip").hex, 3))
    assert index.match([mirrored]) == [Match("alice", 1, "pdq", 3)]


def test_a_flat_pdq_matches_only_within_the_flat_threshold() -> None:
    """A flat picture's PDQ ("flat-...", quality under the floor) on either side matches within
    `flat_pdq` bits, not `pdq`."""
    enrolled = [Hash("pdq", item_hashes(4)[0].hex, "flat-masked-tl")]
    index = MatchIndex(entries("alice", 3, enrolled), settings=SETTINGS)
    flat_hex = enrolled[0].hex
    for variant in ("original", "flat-original", "flat-half-l"):
        at_limit = Hash("pdq", flip_bits(flat_hex, SETTINGS.flat_pdq), variant)
        assert index.match([at_limit]) == [Match("alice", 3, "pdq", SETTINGS.flat_pdq)]
        past = Hash("pdq", flip_bits(flat_hex, SETTINGS.flat_pdq + 1), variant)
        assert index.match([past]) == [], "within pdq but past flat_pdq"
    sure = item_hashes(5, ("half-l",))
    index = MatchIndex(entries("bob", 4, sure), settings=SETTINGS)
    flat_query = Hash("pdq", flip_bits(of(sure, "pdq", "half-l").hex, SETTINGS.flat_pdq + 1))
    assert index.match([Hash("pdq", flat_query.hex, "flat-original")]) == []
    assert index.match([flat_query]) == [Match("bob", 4, "pdq", SETTINGS.flat_pdq + 1)]


def test_a_flat_candidate_pdq_is_not_compared_with_an_enrolled_whole_pictures_own() -> None:
    """An enrolled whole picture keeps its PDQ at any quality (a blank one has nothing else):
    near-blank pictures' PDQs are alike, so a flat candidate's is never held against it."""
    enrolled = item_hashes(6, ("original", "trimmed-flip"))
    index = MatchIndex(entries("alice", 1, enrolled), settings=SETTINGS)
    for variant in ("original", "trimmed-flip"):
        same = Hash("pdq", of(enrolled, "pdq", variant).hex, "flat-original")
        assert index.match([same]) == []
        assert index.match([Hash("pdq", same.hex)]) == [Match("alice", 1, "pdq", 0)]


def test_phash_needs_dhash_of_the_same_orientation() -> None:
    enrolled = item_hashes(3, ("original", "rot90"))
    index = MatchIndex(entries("alice", 1, enrolled), settings=SETTINGS)
    phash = Hash("phash", flip_bits(of(enrolled, "phash").hex, 4))
    dhash_same = Hash("dhash", flip_bits(of(enrolled, "dhash").hex, 5))
    dhash_other = Hash("dhash", of(enrolled, "dhash", "rot90").hex)
    far_dhash = Hash("dhash", flip_bits(of(enrolled, "dhash").hex, SETTINGS.dhash + 1))

    assert index.match([phash]) == []
    assert index.match([phash, far_dhash]) == []
    assert index.match([phash, dhash_other]) == []
    assert index.match([phash, dhash_same]) == [Match("alice", 1, "phash+dhash", 4)]


@pytest.mark.parametrize("profile", ["strict", "standard", "loose"])
def test_a_region_pair_matches_only_within_the_tighter_region_thresholds(profile: str) -> None:
    settings = MatchSettings(profile=profile)  # type: ignore[arg-type]
    assert settings.region_phash < settings.phash
    assert settings.region_dhash < settings.dhash
    enrolled = item_hashes(8, ("original", "win80-tl"))
    index = MatchIndex(entries("alice", 1, enrolled), settings=settings)

    def candidate(variant: str, phash_flips: int, dhash_flips: int) -> list[Hash]:
        return [
            Hash("phash", flip_bits(of(enrolled, "phash", variant).hex, phash_flips)),
            Hash("dhash", flip_bits(of(enrolled, "dhash", variant).hex, dhash_flips)),
        ]

    at_limit = candidate("win80-tl", settings.region_phash, settings.region_dhash)
    assert index.match(at_limit) == [Match("alice", 1, "phash+dhash", settings.region_phash)]
    assert index.match(candidate("win80-tl", settings.region_phash + 1, 0)) == []
    assert index.match(candidate("win80-tl", 0, settings.region_dhash + 1)) == []
    # The whole picture keeps its own, wider thresholds.
    whole = candidate("original", settings.phash, settings.dhash)
    assert index.match(whole) == [Match("alice", 1, "phash+dhash", settings.phash)]


def test_a_halfs_pair_matches_the_same_half_only_within_the_region_thresholds() -> None:
    enrolled = item_hashes(9, ("original", "half-l"))
    index = MatchIndex(entries("alice", 1, enrolled), settings=SETTINGS)
    phash, dhash = of(enrolled, "phash", "half-l").hex, of(enrolled, "dhash", "half-l").hex
    assert informative_dhash(dhash)

    def seen_as(variant: str, phash_flips: int = 0, dhash_flips: int = 0) -> list[Hash]:
        return [
            Hash("phash", flip_bits(phash, phash_flips), variant),
            Hash("dhash", flip_bits(dhash, dhash_flips), variant),
        ]

    limits = (SETTINGS.region_phash, SETTINGS.region_dhash)
    assert index.match(seen_as("half-l", *limits)) == [
        Match("alice", 1, "phash+dhash", SETTINGS.region_phash)
    ]
    assert index.match(seen_as("half-l", limits[0] + 1, 0)) == []
    assert index.match(seen_as("half-l", 0, limits[1] + 1)) == []
    # The other half, the whole picture or a part of a candidate: not compared with a half.
    for variant in ("half-r", "original", "part-bands"):
        assert index.match(seen_as(variant)) == [], variant
    # Nor is a candidate's half compared with an enrolled region or whole picture.
    regions = [Hash(h.algorithm, h.hex, "win80-c") for h in seen_as("half-l")]
    index = MatchIndex(entries("bob", 2, regions + seen_as("original")), settings=SETTINGS)
    assert index.match(seen_as("half-l")) == []


@pytest.mark.parametrize("set_bits", [0, 3, 7, 57, 64])
def test_a_region_pair_with_an_uninformative_dhash_never_matches(set_bits: int) -> None:
    # A dHash with few bits of one value is a flat fill, a sky or a gradient: such pairs agree
    # by chance, so a region's pair counts only with at least MIN_REGION_DHASH_BITS of each.
    assert MIN_REGION_DHASH_BITS == 8
    flat_dhash = format((1 << set_bits) - 1, "016x")
    phash = random_hex(random.Random(set_bits), 64)
    region = [Hash("phash", phash, "win80-tl"), Hash("dhash", flat_dhash, "win80-tl")]
    whole = [Hash("phash", phash, "original"), Hash("dhash", flat_dhash, "original")]
    index = MatchIndex(entries("alice", 1, region) + entries("bob", 2, whole), settings=SETTINGS)
    same = [Hash("phash", phash), Hash("dhash", flat_dhash)]
    # Only the whole picture's pair (matched as before) finds it, even at distance 0.
    assert index.match(same) == [Match("bob", 2, "phash+dhash", 0)]
    # The candidate's dHash must be informative too: 8 bits set (stored) and 4 (found) are 4
    # apart, within the region threshold, and still no match.
    stored, found = "00000000000000ff", "000000000000000f"
    assert informative_dhash(stored)
    assert not informative_dhash(found)
    region = [Hash("phash", phash, "win80-tl"), Hash("dhash", stored, "win80-tl")]
    index = MatchIndex(entries("alice", 1, region), settings=SETTINGS)
    assert index.match([Hash("phash", phash), Hash("dhash", found)]) == []
    assert index.match([Hash("phash", phash), Hash("dhash", stored)]) == [
        Match("alice", 1, "phash+dhash", 0)
    ]


def test_region_thresholds_can_be_set_like_the_others() -> None:
    settings = MatchSettings(profile="strict", region_phash=4)
    assert (settings.region_phash, settings.region_dhash) == (4, 3)
    with pytest.raises(ValidationError):
        MatchSettings(region_dhash=65)


def test_pdq_evidence_wins_over_phash_dhash_for_the_same_item() -> None:
    enrolled = item_hashes(4)
    index = MatchIndex(entries("alice", 1, enrolled), settings=SETTINGS)
    candidate = [
        Hash("pdq", flip_bits(of(enrolled, "pdq").hex, 20)),
        Hash("phash", of(enrolled, "phash").hex),
        Hash("dhash", of(enrolled, "dhash").hex),
    ]
    assert index.match(candidate) == [Match("alice", 1, "pdq", 20)]


def test_one_match_per_item_the_closest() -> None:
    variants = ("original", "rot90", "rot180")
    enrolled = item_hashes(5, variants)
    # The candidate is 10 bits from "original" and 2 bits from a second copy of it.
    near_copy = Hash("pdq", flip_bits(of(enrolled, "pdq").hex, 8, seed=1), "rot180")
    index = MatchIndex(entries("alice", 1, [*enrolled, near_copy]), settings=SETTINGS)
    candidate = Hash("pdq", flip_bits(near_copy.hex, 2, seed=2))
    matches = index.match([candidate])
    assert len(matches) == 1
    assert matches[0].distance == 2


def test_clients_are_kept_apart_even_with_the_same_item_id() -> None:
    shared = item_hashes(6)
    index = MatchIndex(
        [*entries("alice", 1, shared), *entries("bob", 1, shared), *entries("carol", 2, shared)],
        settings=SETTINGS,
    )
    matches = index.match([of(shared, "pdq")])
    assert {(m.client_id, m.item_id) for m in matches} == {("alice", 1), ("bob", 1), ("carol", 2)}
    assert all(m.distance == 0 and m.algorithm == "pdq" for m in matches)


def test_matches_come_closest_first() -> None:
    base = item_hashes(7)
    pdq = of(base, "pdq").hex
    index = MatchIndex(
        [
            IndexEntry("a", 1, Hash("pdq", flip_bits(pdq, 25))),
            IndexEntry("a", 2, Hash("pdq", flip_bits(pdq, 5))),
            IndexEntry("a", 3, Hash("pdq", flip_bits(pdq, 15))),
        ],
        settings=SETTINGS,
    )
    assert [m.item_id for m in index.match([Hash("pdq", pdq)])] == [2, 3, 1]


def test_unrelated_hashes_do_not_match() -> None:
    index = MatchIndex(
        (e for seed in range(200) for e in entries("c", seed, item_hashes(seed))),
        settings=SETTINGS,
    )
    for seed in range(1000, 1050):
        assert index.match(item_hashes(seed)) == []


def test_empty_index_and_empty_candidate() -> None:
    empty = MatchIndex([], settings=SETTINGS)
    assert len(empty) == 0
    assert empty.match(item_hashes(8)) == []
    index = MatchIndex(entries("a", 1, item_hashes(8)), settings=SETTINGS)
    assert len(index) == 3
    assert index.match([]) == []


def test_pdq_only_items_from_imported_lists_still_match() -> None:
    pdq = of(item_hashes(9), "pdq")
    index = MatchIndex([IndexEntry("a", 1, pdq)], settings=SETTINGS)
    assert index.match([pdq, *item_hashes(10)[1:]]) == [Match("a", 1, "pdq", 0)]


def test_large_index_matches_fast() -> None:
    rng = random.Random(11)
    target = Hash("pdq", random_hex(rng, 256))
    many = [IndexEntry("c", n, Hash("pdq", random_hex(rng, 256))) for n in range(50_000)]
    many += [
        IndexEntry("c", n, Hash(kind, random_hex(rng, 64)))
        for n in range(25_000)
        for kind in ("phash", "dhash")
    ]
    many.append(IndexEntry("needle", 1, Hash("pdq", flip_bits(target.hex, 9))))
    index = MatchIndex(many, settings=SETTINGS)
    candidate = [target, Hash("phash", random_hex(rng, 64)), Hash("dhash", random_hex(rng, 64))]
    started = time.perf_counter()
    for _ in range(10):
        matches = index.match(candidate)
    assert (time.perf_counter() - started) / 10 < 0.05
    assert matches == [Match("needle", 1, "pdq", 9)]


def reference_matches(
    entries: list[IndexEntry], candidate: list[Hash], settings: MatchSettings
) -> list[Match]:
    """The match rule applied entry by entry with `hamming`, as the old numpy scan did it."""
    numbers: dict[tuple[str, int], int] = {}
    best: dict[int, tuple[int, int, int]] = {}

    def keep(number: int, rank: tuple[int, int, int]) -> None:
        if number not in best or rank < best[number]:
            best[number] = rank

    for entry in entries:
        number = numbers.setdefault((entry.client_id, entry.item_id), len(numbers))
        if entry.hash.algorithm != "pdq":
            continue
        for query in (h for h in candidate if h.algorithm == "pdq"):
            distance = hamming(entry.hash.hex, query.hex)
            enrolled_flat = entry.hash.variant.startswith(FLAT_PREFIX)
            if query.variant.startswith(FLAT_PREFIX):
                # A flat candidate PDQ is never compared with an enrolled whole picture's own.
                if not enrolled_flat and entry.hash.variant in WHOLE_VARIANTS:
                    continue
                radius = settings.flat_pdq
            else:
                radius = settings.flat_pdq if enrolled_flat else settings.pdq
            if distance <= radius:
                keep(number, (0, distance, 0))
    dhashes: dict[tuple[str, int, str], list[str]] = {}
    for entry in entries:
        if entry.hash.algorithm == "dhash":
            key = (entry.client_id, entry.item_id, entry.hash.variant)
            dhashes.setdefault(key, []).append(entry.hash.hex)
    query_pairs = [
        (query_phash.hex, query_dhash.hex, query_phash.variant)
        for query_phash in candidate
        for query_dhash in candidate
        if (query_phash.algorithm, query_dhash.algorithm) == ("phash", "dhash")
        and query_phash.variant == query_dhash.variant
    ]
    for phash in (e for e in entries if e.hash.algorithm == "phash"):
        same_entry = (phash.client_id, phash.item_id, phash.hash.variant)
        for dhash in dhashes.get(same_entry, []):
            for query_phash, query_dhash, query_variant in query_pairs:
                # A half's pair meets only the same half's; every other pair, no half's.
                halves = (phash.hash.variant in HALF_VARIANTS, query_variant in HALF_VARIANTS)
                if halves != (False, False) and phash.hash.variant != query_variant:
                    continue
                phash_distance = hamming(phash.hash.hex, query_phash)
                dhash_distance = hamming(dhash, query_dhash)
                if phash.hash.variant in REGION_VARIANTS:
                    radii = (settings.region_phash, settings.region_dhash)
                    if min(_minority_bits(dhash), _minority_bits(query_dhash)) < 8:
                        continue
                else:
                    radii = (settings.phash, settings.dhash)
                if phash_distance <= radii[0] and dhash_distance <= radii[1]:
                    number = numbers[(phash.client_id, phash.item_id)]
                    keep(number, (1, phash_distance, dhash_distance))
    items = list(numbers)
    return [
        Match(
            client_id=items[number][0],
            item_id=items[number][1],
            algorithm="pdq" if rank[0] == 0 else "phash+dhash",
            distance=rank[1],
        )
        for number, rank in sorted(best.items(), key=lambda pair: (pair[1], pair[0]))
    ]


def _minority_bits(hex_text: str) -> int:
    ones = bin(int(hex_text, 16)).count("1")
    return min(ones, 64 - ones)


def planted_catalogue(seed: int) -> tuple[list[IndexEntry], list[list[Hash]]]:
    """Items of three clients (some PDQ only, some with region PDQs) and candidates: near copies
    of enrolled hashes at 0-45 bits (PDQ) and 0-16 bits (pHash, dHash), and unrelated ones."""
    rng = random.Random(seed)
    variants = ("original", "rot90", "flip", "trimmed-original")
    whole = (*ORIENTATIONS, *(f"trimmed-{name}" for name in ORIENTATIONS))
    regions = tuple(v for v in VARIANTS if v not in whole)[:6]
    catalogue: list[IndexEntry] = []
    for number in range(60):
        client = ("alice", "bob", "carol")[number % 3]
        item = number // 3  # the same item ids under different clients
        kept = rng.sample(variants, rng.randint(1, 4))
        hashes = item_hashes(rng.randrange(10**9), tuple(kept))
        if number % 7 == 0:
            hashes = [h for h in hashes if h.algorithm == "pdq"]  # an imported PDQ list
        hashes += [Hash("pdq", random_hex(rng, 256), region) for region in regions[: number % 5]]
        # Regions with a pHash and dHash too (matched at the tighter region thresholds).
        hashes += [
            Hash(algorithm, random_hex(rng, 64), region)
            for region in regions[4 : 4 + number % 3]
            for algorithm in ("phash", "dhash")
        ]
        if number % 4 == 0:
            # A flat region: its dHash has few bits set, so its pair must not count.
            flat = format(rng.getrandbits(64) & rng.getrandbits(64) & rng.getrandbits(64), "016x")
            hashes = [h for h in hashes if (h.algorithm, h.variant) != ("dhash", regions[4])]
            hashes += [Hash("dhash", flat, regions[4])] if number % 3 else []
        if number % 5 == 1:
            hashes.append(Hash("pdq", random_hex(rng, 256), "flat-half-l"))
        # Halves' pairs, matched against the same half only.
        hashes += [
            Hash(algorithm, random_hex(rng, 64), half)
            for half in HALF_VARIANTS[: number % 3]
            for algorithm in ("phash", "dhash")
        ]
        catalogue += entries(client, item, hashes)
    groups: dict[tuple[str, int, str], list[Hash]] = {}
    for entry in catalogue:
        if entry.hash.variant in (*variants, *regions[4:], "flat-half-l", *HALF_VARIANTS):
            groups.setdefault((entry.client_id, entry.item_id, entry.hash.variant), []).append(
                entry.hash
            )
    candidates: list[list[Hash]] = []
    for _ in range(80):
        candidate = []
        for key in rng.sample(sorted(groups), 3):
            # A re-upload seen in one orientation: near copies of that orientation's hashes,
            # each at its own distance, presented as the candidate's "original".
            for enrolled in groups[key]:
                bits = rng.randint(0, 45 if enrolled.algorithm == "pdq" else 16)
                # A third of the PDQs are a flat candidate's ("flat-original").
                flat = enrolled.algorithm == "pdq" and rng.random() < 1 / 3
                variant = "flat-original" if flat else "original"
                if enrolled.variant in HALF_VARIANTS:
                    # A half's pair seen as the same half, the other half or the whole.
                    variant = rng.choice((enrolled.variant, enrolled.variant, "half-r", "original"))
                candidate.append(
                    Hash(enrolled.algorithm, flip_bits(enrolled.hex, bits, seed=bits), variant)
                )
        candidates.append(candidate)
    candidates += [item_hashes(rng.randrange(10**9), variants[:2]) for _ in range(20)]
    return catalogue, candidates


@pytest.mark.parametrize(
    "settings",
    [
        SETTINGS,
        MatchSettings(pdq=0, phash=0, dhash=0),
        MatchSettings(pdq=20, phash=8, dhash=6),
        MatchSettings(pdq=45, phash=16, dhash=14),
        MatchSettings(pdq=10, phash=4, dhash=4, region_phash=14, region_dhash=12),
        MatchSettings(pdq=128, phash=32, dhash=32, region_phash=32, region_dhash=32),
        MatchSettings(pdq=20, flat_pdq=30),
        MatchSettings(flat_pdq=0),
    ],
    ids=lambda s: (
        f"pdq{s.pdq}-phash{s.phash}-dhash{s.dhash}-regions{s.region_phash}+{s.region_dhash}"
    ),
)
def test_index_answers_exactly_what_the_rule_says(settings: MatchSettings) -> None:
    catalogue, candidates = planted_catalogue(12)
    index = MatchIndex(catalogue, settings=settings)
    halves = [entry for entry in catalogue if entry.hash.variant in HALF_VARIANTS]
    matched = 0
    through_pairs = 0
    through_halves = 0
    for candidate in candidates:
        expected = reference_matches(catalogue, candidate, settings)
        assert index.match(candidate) == expected
        matched += bool(expected)
        through_pairs += sum(m.algorithm == "phash+dhash" for m in expected)
        through_halves += bool(reference_matches(halves, candidate, settings))
    # The planted copies are found, through both halves of the rule: not only misses agree.
    if settings.pdq:
        assert matched >= 40
    if settings.phash >= 8 and settings.pdq <= 31:
        assert through_pairs >= 10
    if settings.region_phash >= 4:
        assert through_halves >= 3


def test_a_rebuilt_index_without_an_item_no_longer_finds_it() -> None:
    catalogue, candidates = planted_catalogue(13)
    gone = ("bob", 13)
    remaining = [e for e in catalogue if (e.client_id, e.item_id) != gone]
    before = MatchIndex(catalogue, settings=SETTINGS)
    after = MatchIndex(remaining, settings=SETTINGS)
    assert len(after) == len(remaining) < len(before)
    lost = 0
    for candidate in candidates:
        found_before = before.match(candidate)
        assert after.match(candidate) == reference_matches(remaining, candidate, SETTINGS)
        assert after.match(candidate) == [
            m for m in found_before if (m.client_id, m.item_id) != gone
        ]
        lost += len(found_before) - len(after.match(candidate))
    assert lost > 0
