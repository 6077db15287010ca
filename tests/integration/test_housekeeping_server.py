"""A started server runs the retention purge itself, at start-up and then periodically."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from waiting import wait_until

from data.records import AnalysisRecord
from skinlab.audit import AuditEvent
from skinlab.db import make_engine, make_sessionmaker, upgrade_database
from skinlab.settings import Settings


def test_the_server_purges_at_start_up(
    api: Callable[..., TestClient], settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory(retention_analyses_days=30)
    engine = make_engine(settings.database_url)
    upgrade_database(settings, engine=engine)
    with make_sessionmaker(engine)() as session:
        old = datetime.now(UTC) - timedelta(days=31)
        session.add(AnalysisRecord(id="old", created_at=old, model_version="m", result={}))
        session.commit()
    engine.dispose()
    client = api(retention_analyses_days=30)
    factory = client.app.state.sessionmaker  # type: ignore[attr-defined]

    def purged() -> bool:
        with factory() as session:
            return session.get(AnalysisRecord, "old") is None

    assert wait_until(purged)
    with factory() as session:
        actions = list(session.scalars(select(AuditEvent.action)))
    assert actions.count("retention_purged") == 1
