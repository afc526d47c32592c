"""`monitor export` as a user runs it: every format written privately, errors named."""

from __future__ import annotations

import json
import stat

from tests.cli import assert_clean_error, database, write_config
from tests.conftest import Cli
from tests.report.test_export import fill_case, needs_pango


@needs_pango
def test_every_format_is_written_readable_by_the_owner_only(cli: Cli) -> None:
    write_config(cli)
    db = database(cli)
    fill_case(db)
    db.dispose()

    for suffix in ("html", "pdf", "csv", "json"):
        out = cli.cwd / f"log.{suffix}"
        summary = json.loads(cli("export", "--client", "K-17", "--out", str(out), "--json").stdout)
        assert summary["format"] == suffix
        assert summary["sightings"] == 3
        assert summary["evidence_log_intact"] is True
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        assert out.stat().st_size == summary["bytes"] > 0
    assert (cli.cwd / "log.pdf").read_bytes().startswith(b"%PDF-")
    assert json.loads((cli.cwd / "log.json").read_text(encoding="utf-8"))["client"] == "K-17"
    human = cli("export", "--client", "K-17", "--out", str(cli.cwd / "x.data"), "--format", "csv")
    assert "evidence log intact" in human.stdout


def test_bad_requests_are_one_clear_error(cli: Cli) -> None:
    write_config(cli)
    message = assert_clean_error(
        cli("export", "--client", "K-17", "--out", str(cli.cwd / "log.docx"), check=False)
    )
    assert "--format html|pdf|csv|json" in message
    message = assert_clean_error(
        cli("export", "--client", "nobody", "--out", str(cli.cwd / "l.csv"), check=False)
    )
    assert "no client 'nobody'" in message
    message = assert_clean_error(
        cli(
            "export", "--client", "nobody", "--out", str(cli.cwd / "missing" / "l.csv"), check=False
        )
    )
    assert "no client" in message or "cannot write" in message
