"""The service layer's checks at start: a source that belongs to a client nobody added."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from monitor.config import Settings
from monitor.service import running_monitor
from monitor.store import open_database
from monitor.store.clients import add_client


async def test_a_source_owned_by_an_unknown_client_is_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    db = open_database(url)
    add_client(db, client_id="K-17")
    db.dispose()
    settings = Settings.model_validate(
        {
            "storage": {"url": url},
            "sources": [
                {"name": "hers", "kind": "feed", "url": "https://a.example/f", "clients": ["K-17"]},
                {"name": "typo", "kind": "feed", "url": "https://a.example/g", "clients": ["K-71"]},
            ],
        }
    )

    with caplog.at_level(logging.WARNING, logger="monitor.service"):
        async with running_monitor(settings):
            pass

    warnings = [record.getMessage() for record in caplog.records]
    assert len(warnings) == 1, warnings
    assert "source typo belongs to client K-71, who is not in the database" in warnings[0]
    assert "monitor client add K-71" in warnings[0]
