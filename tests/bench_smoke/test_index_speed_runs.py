"""`python -m tests.bench.index_speed` still runs, and every index it measures answers exactly what
the plain numpy scan answers. Benchmarks are not tests; this keeps the bench from rotting."""

from __future__ import annotations

import pytest

from tests.bench import index_speed


def test_every_index_answers_like_the_numpy_scan(capsys: pytest.CaptureFixture[str]) -> None:
    results = index_speed.measure(hashes=4000, lookups=40, seed=3)
    methods = [result.method for result in results]
    assert any(method.startswith("MatchIndex, PDQ") for method in methods)
    assert any(method.startswith("MatchIndex, pHash") for method in methods)
    assert any(method.startswith("numpy scan") for method in methods)
    for result in results:
        assert result.found == result.expected == 20, result.method
        assert result.same == result.lookups == 40, result.method
        assert result.lookups_per_second > 0
        assert result.bytes_per_hash > 0
    index_speed.print_table(results, hashes=4000)
    assert "look-ups/s/core" in capsys.readouterr().out
