"""The accuracy benchmark's parts still run: every transform makes a real picture, and the
benchmark's vectorised match rule still agrees with MatchIndex. Benchmarks are not tests; this
only keeps `python -m tests.bench.accuracy` from rotting unnoticed."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from monitor.fingerprint import IndexEntry, MatchIndex, MatchSettings
from tests.bench.corpus import candidate_sample, enrolled_sample
from tests.bench.distractors import decoy_regions, grid_tiles, random_crops
from tests.bench.transforms import OTHERS_NEEDED, TRANSFORMS, Transform, jpeg
from tests.bench.unrelated import pair_distances


def drawn(seed: int, size: tuple[int, int]) -> Image.Image:
    rng = random.Random(seed)
    noise = np.random.default_rng(seed).normal(128, 40, size=(size[1] // 8, size[0] // 8, 3))
    picture = Image.fromarray(noise.clip(0, 255).astype(np.uint8)).resize(size)
    draw = ImageDraw.Draw(picture)
    for _ in range(10):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200)), fill=colour)
    return picture


PICTURES = (drawn(1, (480, 360)), drawn(2, (300, 420)))
OTHERS = tuple(drawn(seed, (400, 300)) for seed in range(10, 10 + OTHERS_NEEDED))


@pytest.mark.parametrize("transform", TRANSFORMS, ids=lambda t: t.name)
def test_every_transform_makes_a_plausible_picture(transform: Transform) -> None:
    for picture in PICTURES:
        data = transform.apply(picture, random.Random(5), OTHERS)
        assert data == transform.apply(picture, random.Random(5), OTHERS), "not deterministic"
        with Image.open(io.BytesIO(data)) as made:
            assert made.format == transform.image_format
            made.load()
            width, height = made.size
            pixels = np.asarray(made.convert("L"), dtype=np.float32)
        assert min(width, height) >= min(picture.size) // 5, made.size
        assert max(width, height) <= max(2400, 3 * max(picture.size)), made.size
        assert pixels.std() > 5, "the picture came out flat"


def test_distractor_pieces_are_smaller_than_the_photo() -> None:
    picture = PICTURES[0]
    rng = random.Random(3)
    assert len(grid_tiles(picture, per_side=3)) == 9
    for piece in random_crops(picture, rng, count=3):
        assert piece.width <= 0.45 * picture.width + 1
        assert piece.height <= 0.45 * picture.height + 1
    for region in decoy_regions(picture, rng, count=3):
        assert region.width >= 0.5 * picture.width - 1
        assert region.height >= 0.5 * picture.height - 1


def test_the_vectorised_rule_agrees_with_match_index() -> None:
    settings = MatchSettings()
    enrolled = [enrolled_sample(jpeg(picture)) for picture in (*PICTURES, *OTHERS)]
    index = MatchIndex(
        (IndexEntry("smoke", n, h) for n, sample in enumerate(enrolled) for h in sample.ours),
        settings=settings,
    )
    rng = random.Random(4)
    candidates = [
        candidate_sample(transform.apply(picture, rng, OTHERS))
        for picture in PICTURES
        for transform in TRANSFORMS[::3]
    ]
    distances = pair_distances(
        [(c.ours, c.plain) for c in candidates],
        [(e.ours, e.plain) for e in enrolled],
        settings=settings,
    )
    matched = distances.ours_match(settings)
    for row, candidate in enumerate(candidates):
        expected = {match.item_id for match in index.match(candidate.ours)}
        assert set(np.flatnonzero(matched[row]).tolist()) == expected
    assert matched[:, 0].any()
    assert matched[:, 1].any()
