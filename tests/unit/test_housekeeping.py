"""The server's periodic jobs: they run at start and every interval, survive failures, and
purge and anchor by the clock they are given."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from waiting import wait_until

from data.records import AnalysisRecord
from serving.housekeeping import PeriodicJob, housekeeping_jobs
from skinlab.audit import AuditAction, AuditEvent, record_audit
from skinlab.audit_anchor import read_anchor
from skinlab.db import make_engine, make_sessionmaker, upgrade_database
from skinlab.settings import Settings


def test_a_job_runs_at_start_then_every_interval_and_survives_failures() -> None:
    calls: list[float] = []

    def flaky() -> None:
        calls.append(time.monotonic())
        if len(calls) == 2:
            raise RuntimeError("database away")

    job = PeriodicJob("test", 0.02, flaky)
    job.start()
    assert wait_until(lambda: len(calls) >= 4)
    job.stop()
    settled = len(calls)
    time.sleep(0.1)
    assert len(calls) == settled  # stopped for good
    assert job.failures == 1 and job.runs == settled


def test_a_long_interval_job_runs_once_at_start_and_stops_promptly() -> None:
    ran = threading.Event()
    job = PeriodicJob("slow", 3600, ran.set)
    job.start()
    assert ran.wait(5)
    started = time.monotonic()
    job.stop()
    assert time.monotonic() - started < 1


def test_jobs_follow_the_settings_and_the_fake_clock(
    settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    anchor_file = tmp_path / "anchor" / "audit-head.json"
    settings = settings_factory(audit_anchor_file=anchor_file, retention_analyses_days=10)
    engine = make_engine(settings.database_url)
    upgrade_database(settings, engine=engine)
    sessions = make_sessionmaker(engine)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with sessions() as session:
        for analysis_id, age in (("old", 11), ("new", 9)):
            session.add(
                AnalysisRecord(
                    id=analysis_id,
                    created_at=now - timedelta(days=age),
                    model_version="m",
                    result={},
                )
            )
        record_audit(session, AuditAction.KEY_CREATED, actor="cli:a", subject="k1")
        session.commit()
    try:
        jobs = {job.name: job for job in housekeeping_jobs(settings, sessions, clock=lambda: now)}
        assert sorted(jobs) == ["audit-anchor", "retention"]
        assert jobs["retention"].interval_s == 24 * 3600
        jobs["retention"].run_once()
        jobs["audit-anchor"].run_once()
        assert jobs["retention"].failures == jobs["audit-anchor"].failures == 0
        with sessions() as session:
            assert list(session.scalars(select(AnalysisRecord.id))) == ["new"]
            head = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert head is not None and head.action == "retention_purged"
        anchor = read_anchor(anchor_file)
        assert (anchor.id, anchor.row_hash) == (head.id, head.row_hash)
        assert anchor.anchored_at == now.isoformat()
    finally:
        engine.dispose()
    assert housekeeping_jobs(settings_factory(retention_purge_hours=0), sessions) == []
