"""The audit trail is append-only in the database, and its hash chain finds edited rows."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from skinlab.audit import (
    GENESIS_HASH,
    AuditAction,
    cli_actor,
    erasure_subject,
    list_events,
    record_audit,
    verify_chain,
)
from skinlab.cli import app
from skinlab.cli_audit import ACTIONS
from skinlab.db import make_engine, make_sessionmaker
from skinlab.settings import Settings


def _append_three(engine: Engine) -> None:
    with make_sessionmaker(engine)() as session:
        record_audit(
            session,
            AuditAction.SKU_ISSUED,
            actor="key:0123456789ab",
            subject="SKAAAAAAAAAAAA",
            details={"versions": {"catalog": "cat-1", "solver": "highs 1.7"}},
        )
        record_audit(
            session,
            AuditAction.MODEL_PROMOTED,
            actor="cli:alice",
            subject="skinlab-propensity@3",
            details={"version": 3, "previous": 2, "reason": "retrained on 十一月"},
        )
        record_audit(session, "key_revoked", actor="cli:alice", subject="0123456789ab")
        session.commit()


def test_events_chain_from_the_genesis_hash(engine: Engine) -> None:
    _append_three(engine)
    with make_sessionmaker(engine)() as session:
        events = list_events(session)
        assert [e.action for e in events] == ["sku_issued", "model_promoted", "key_revoked"]
        assert events[0].prev_hash == GENESIS_HASH
        assert [e.prev_hash for e in events[1:]] == [e.row_hash for e in events[:-1]]
        assert [e.action for e in list_events(session, action="model_promoted")] == [
            "model_promoted"
        ]
        report = verify_chain(session)
    assert report.ok and report.rows == 3


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'key:forged' WHERE id = 1",
        "DELETE FROM audit_events WHERE id = 2",
        "DELETE FROM audit_events",
    ],
)
def test_the_database_refuses_to_change_or_delete_events(engine: Engine, statement: str) -> None:
    _append_three(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with make_sessionmaker(engine)() as session:
        assert len(list_events(session)) == 3
        assert verify_chain(session).ok


def test_the_orm_cannot_edit_an_event_either(engine: Engine) -> None:
    _append_three(engine)
    with make_sessionmaker(engine)() as session:
        event = list_events(session)[0]
        event.subject = "SKBBBBBBBBBBBB"
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()


def _drop_triggers(engine: Engine) -> None:
    """What someone with the database's owner rights could do; the chain still tells."""
    if engine.dialect.name == "postgresql":
        drops = ["DROP TRIGGER audit_events_no_change ON audit_events"]
    else:
        drops = ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"]
    with engine.begin() as connection:
        for drop in drops:
            connection.execute(text(drop))


@pytest.mark.parametrize(
    ("statement", "broken_at", "problem"),
    [
        ("UPDATE audit_events SET actor = 'key:forged' WHERE id = 2", 2, "row_hash"),
        ("UPDATE audit_events SET details = '{}' WHERE id = 1", 1, "row_hash"),
        ("DELETE FROM audit_events WHERE id = 2", 3, "prev_hash"),
    ],
)
def test_verify_finds_a_tampered_row(
    engine: Engine, statement: str, broken_at: int, problem: str
) -> None:
    _append_three(engine)
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text(statement))
    with make_sessionmaker(engine)() as session:
        report = verify_chain(session)
    assert not report.ok
    assert report.broken_at == broken_at
    assert report.problem is not None and report.problem.startswith(problem)


def test_a_forked_chain_is_refused(engine: Engine) -> None:
    """Two writers that read the same last row cannot both append (prev_hash is unique)."""
    _append_three(engine)
    with make_sessionmaker(engine)() as session:
        last = list_events(session)[-1]
        insert = text(
            "INSERT INTO audit_events (at, actor, action, subject, details, prev_hash, "
            "row_hash) VALUES (:at, 'x', 'sku_issued', NULL, '{}', :prev, :hash)"
        )
        with pytest.raises(DBAPIError, match=r"(?i)unique"):
            session.execute(insert, {"at": last.at, "prev": last.prev_hash, "hash": "f" * 64})


def test_the_erasure_subject_is_keyed_and_names_no_one(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory()
    subject = erasure_subject(settings, "wx_1")
    assert subject.startswith("erased:") and "wx_1" not in subject
    assert subject == erasure_subject(settings, "wx_1")
    assert subject != erasure_subject(settings, "wx_2")
    other = settings_factory(phone_id_secret="another secret")
    assert subject != erasure_subject(other, "wx_1")


def test_the_command_lists_actions_the_module_knows() -> None:
    assert set(ACTIONS) == {str(action) for action in AuditAction}


def test_audit_verify_and_list_commands(cli_env: object) -> None:
    from skinlab.audit import audit_session
    from skinlab.settings import get_settings

    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "--role", "admin", "--label", "ops"])
    assert created.exit_code == 0, created.output
    key_id = created.stdout.split("_")[1]
    for _ in range(2):  # the second revocation changes nothing, so records nothing
        assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    with audit_session(get_settings()) as session:
        _record_promotion(session)
        revoked = list_events(session, action="key_revoked")
        assert [(e.subject, e.actor) for e in revoked] == [(key_id, cli_actor())]
        assert list_events(session, action="key_created")[0].details["role"] == "admin"
    listed = runner.invoke(app, ["audit", "list", "--json", "--action", "key_created"])
    assert listed.exit_code == 0, listed.output
    assert '"action": "key_created"' in listed.stdout
    assert "model_promoted" not in listed.stdout
    assert runner.invoke(app, ["audit", "list", "--action", "nope"]).exit_code == 2
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "intact: 3 events" in verified.stdout
    engine = make_engine(get_settings().database_url)
    _drop_triggers(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor = 'cli:mallory' WHERE id = 1"))
    engine.dispose()
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at row 1" in broken.stderr


def _record_promotion(session: Session) -> None:
    record_audit(session, AuditAction.MODEL_PROMOTED, actor="cli:bob", subject="m@2")
    session.commit()
