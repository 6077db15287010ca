"""``skinlab retention purge``: a dry run counts, a real run deletes and is audited, as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data.records import AnalysisRecord
from skinlab.audit import audit_session, list_events
from skinlab.cli import app
from skinlab.settings import get_settings


def test_purge_dry_run_then_for_real(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKINLAB_RETENTION_ANALYSES_DAYS", "7")
    get_settings.cache_clear()
    with audit_session(get_settings()) as session:
        old = datetime.now(UTC) - timedelta(days=8)
        session.add(AnalysisRecord(id="a-old", created_at=old, model_version="m", result={}))
        session.commit()
    runner = CliRunner()
    dry = runner.invoke(app, ["retention", "purge", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["analyses"] == 1 and json.loads(dry.stdout)["dry_run"]
    real = runner.invoke(app, ["retention", "purge"])
    assert real.exit_code == 0, real.output
    assert "deleted: 1 analyses" in real.stdout
    again = runner.invoke(app, ["retention", "purge", "--json"])
    assert json.loads(again.stdout)["analyses"] == 0
    with audit_session(get_settings()) as session:
        assert session.get(AnalysisRecord, "a-old") is None
        purges = list_events(session, action="retention_purged")
    assert [event.details["analyses"] for event in purges] == [1, 0]  # the CLI audits every run
    assert all(event.actor.startswith("cli:") for event in purges)
