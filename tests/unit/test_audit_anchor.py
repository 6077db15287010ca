"""Anchoring the audit chain: deleting its newest rows is found, even with the triggers gone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from test_audit import _drop_triggers
from typer.testing import CliRunner

from skinlab.audit import (
    AuditAction,
    audit_session,
    record_audit,
    unfinished_model_changes,
    verify_chain,
)
from skinlab.audit_anchor import AnchorMismatch, check_anchor, read_anchor, write_anchor
from skinlab.cli import app
from skinlab.db import make_engine, make_sessionmaker, utcnow
from skinlab.settings import get_settings

runner = CliRunner()


def _append(engine: Engine, *subjects: str) -> None:
    with make_sessionmaker(engine)() as session:
        for subject in subjects:
            record_audit(session, AuditAction.KEY_CREATED, actor="cli:a", subject=subject)
        session.commit()


def _delete_from(engine: Engine, first_id: int) -> None:
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id >= :i"), {"i": first_id})


def test_a_cut_tail_verifies_without_the_anchor_and_fails_with_it(
    engine: Engine, tmp_path: Path
) -> None:
    anchor_file = tmp_path / "anchor.json"
    _append(engine, "k1", "k2", "k3")
    with make_sessionmaker(engine)() as session:
        head = write_anchor(session, anchor_file, now=utcnow())
        assert head is not None and head.id == 3
        check_anchor(session, read_anchor(anchor_file))
    _append(engine, "k4")  # rows after the anchor are fine
    with make_sessionmaker(engine)() as session:
        check_anchor(session, read_anchor(anchor_file))
    _delete_from(engine, 3)
    with make_sessionmaker(engine)() as session:
        assert verify_chain(session).ok  # what the chain alone cannot see
        with pytest.raises(AnchorMismatch, match="ends at row 2, before the anchored row 3"):
            check_anchor(session, read_anchor(anchor_file))
        # and the next anchor does not paper over it: the file stays as evidence
        before = anchor_file.read_text()
        with pytest.raises(AnchorMismatch):
            write_anchor(session, anchor_file, now=utcnow())
        assert anchor_file.read_text() == before


def test_a_tail_cut_and_written_again_fails_on_the_hash(engine: Engine, tmp_path: Path) -> None:
    anchor_file = tmp_path / "anchor.json"
    _append(engine, "k1", "k2", "k3")
    with make_sessionmaker(engine)() as session:
        write_anchor(session, anchor_file, now=utcnow())
    _delete_from(engine, 2)
    _append(engine, "forged-2", "forged-3")  # ids 2 and 3 again, a consistent chain
    with make_sessionmaker(engine)() as session:
        assert verify_chain(session).ok
        # SQLite gives the forged rows ids 2 and 3 again (hash differs), PostgreSQL 4 and 5
        with pytest.raises(AnchorMismatch, match=r"row 3 is not the row anchored|row 3 is gone"):
            check_anchor(session, read_anchor(anchor_file))


def test_anchor_and_verify_commands(cli_env: Path, tmp_path: Path) -> None:
    anchor_file = tmp_path / "offsite" / "audit-head.json"
    assert runner.invoke(app, ["audit", "anchor"]).exit_code == 2  # no file given or set
    empty = runner.invoke(app, ["audit", "anchor", "--file", str(anchor_file)])
    assert empty.exit_code == 0 and "empty" in empty.stdout and not anchor_file.exists()
    with audit_session(get_settings()) as session:
        record_audit(session, AuditAction.KEY_CREATED, actor="cli:a", subject="k1")
        record_audit(session, AuditAction.KEY_REVOKED, actor="cli:a", subject="k1")
        session.commit()
    anchored = runner.invoke(app, ["audit", "anchor", "--file", str(anchor_file)])
    assert anchored.exit_code == 0, anchored.output
    assert json.loads(anchor_file.read_text())["id"] == 2
    verified = runner.invoke(app, ["audit", "verify", "--anchor", str(anchor_file)])
    assert verified.exit_code == 0, verified.output
    assert "reaches the anchor at row 2" in verified.stdout
    engine = make_engine(get_settings().database_url)
    _delete_from(engine, 2)
    engine.dispose()
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0
    cut = runner.invoke(app, ["audit", "verify", "--anchor", str(anchor_file)])
    assert cut.exit_code == 1
    assert "AUDIT_ANCHOR_MISMATCH" in cut.stderr and "删除" in cut.stderr
    missing = runner.invoke(app, ["audit", "verify", "--anchor", str(tmp_path / "none.json")])
    assert missing.exit_code == 1 and "AUDIT_ANCHOR_UNREADABLE" in missing.stderr


def test_verify_uses_the_configured_anchor(
    cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchor_file = tmp_path / "audit-head.json"
    monkeypatch.setenv("SKINLAB_AUDIT_ANCHOR_FILE", str(anchor_file))
    get_settings.cache_clear()
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0  # no anchor written yet
    with audit_session(get_settings()) as session:
        record_audit(session, AuditAction.KEY_CREATED, actor="cli:a", subject="k1")
        session.commit()
    assert runner.invoke(app, ["audit", "anchor"]).exit_code == 0
    assert "reaches the anchor at row 1" in runner.invoke(app, ["audit", "verify"]).stdout
    engine = make_engine(get_settings().database_url)
    _delete_from(engine, 1)
    engine.dispose()
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 1


def test_a_started_model_change_without_its_completion_is_reported(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        for action, subject in (
            (AuditAction.MODEL_PROMOTION_STARTED, "m@2"),
            (AuditAction.MODEL_PROMOTED, "m@2"),
            (AuditAction.MODEL_ROLLBACK_STARTED, "m@1"),
            (AuditAction.MODEL_PROMOTION_STARTED, "m@3"),
        ):
            record_audit(session, action, actor="ds", subject=subject)
        session.commit()
        unfinished = unfinished_model_changes(session)
    assert [(e.action, e.subject) for e in unfinished] == [
        ("model_rollback_started", "m@1"),
        ("model_promotion_started", "m@3"),
    ]


def test_verify_warns_about_an_unfinished_model_change(cli_env: Path) -> None:
    with audit_session(get_settings()) as session:
        record_audit(session, AuditAction.MODEL_PROMOTION_STARTED, actor="ds", subject="m@9")
        session.commit()
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0  # the chain is intact; the warning is for a person
    assert "row 1 (model_promotion_started m@9" in verified.stderr
