"""Retention with a fake clock: analyses and kept photos past their limits go, and are audited."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.raw_photos import save_raw_photo
from data.records import AnalysisRecord, ConsentRecord, ensure_user
from skinlab.audit import AuditEvent, verify_chain
from skinlab.db import make_engine, make_sessionmaker, upgrade_database
from skinlab.photo_crypto import PhotoKeyring
from skinlab.retention import purge_expired
from skinlab.settings import Settings

START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
KEYRING = PhotoKeyring(b"\x05" * 32)


@pytest.fixture
def database(settings_factory: Callable[..., Settings]) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(settings_factory().database_url)
    upgrade_database(settings_factory(), engine=engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def _analysis(
    sessions: sessionmaker[Session], settings: Settings, analysis_id: str, age_days: float
) -> str:
    """An analysis of wx_1 taken ``age_days`` before START, with a kept photo."""
    created = START - timedelta(days=age_days)
    path = save_raw_photo(
        settings.data_dir,
        np.full((8, 8, 3), 128, dtype=np.uint8),
        user_id="wx_1",
        analysis_id=analysis_id,
        keyring=KEYRING,
    )
    os.utime(settings.data_dir / path, (created.timestamp(), created.timestamp()))
    with sessions() as session:
        ensure_user(session, "wx_1")
        session.add(ConsentRecord(user_id="wx_1", source="api", granted_at=created))
        session.add(
            AnalysisRecord(
                id=analysis_id,
                user_id="wx_1",
                created_at=created,
                model_version="m",
                result={},
                raw_image_path=path,
            )
        )
        session.commit()
    return path


def _state(sessions: sessionmaker[Session]) -> dict[str, str | None]:
    with sessions() as session:
        return dict(session.execute(select(AnalysisRecord.id, AnalysisRecord.raw_image_path)).all())


def test_photos_go_after_their_days_and_analyses_after_theirs(
    database: sessionmaker[Session], settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory(retention_raw_photos_days=30, retention_analyses_days=365)
    fresh = _analysis(database, settings, "fresh", age_days=29)
    old_photo = _analysis(database, settings, "month", age_days=31)
    old = _analysis(database, settings, "year", age_days=400)
    orphan = settings.data_dir / "raw" / "wx_gone" / "x.jpg.enc"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"sealed")
    os.utime(orphan, (START.timestamp() - 40 * 86400,) * 2)

    with database() as session:
        dry = purge_expired(session, settings, now=START, dry_run=True)
    assert (dry.analyses, dry.photos, dry.orphan_files) == (1, 2, 1)
    assert _state(database) == {"fresh": fresh, "month": old_photo, "year": old}
    assert (settings.data_dir / old).exists()

    with database() as session:
        report = purge_expired(session, settings, now=START, actor="cli:ops")
    assert (report.analyses, report.photos, report.orphan_files) == (1, 2, 1)
    assert _state(database) == {"fresh": fresh, "month": None}
    for gone in (old_photo, old):
        assert not (settings.data_dir / gone).exists()
    assert not orphan.exists()
    assert (settings.data_dir / fresh).exists()
    with database() as session:
        assert session.scalar(select(func.count()).select_from(ConsentRecord)) == 3  # kept
        event = session.scalars(select(AuditEvent)).one()
        assert verify_chain(session).ok
    assert (event.action, event.actor) == ("retention_purged", "cli:ops")
    assert event.details["analyses"] == 1 and event.details["photos"] == 2
    assert event.details["photos_cutoff"] == (START - timedelta(days=30)).isoformat()

    # a day later the fresh photo has passed 30 days too
    with database() as session:
        later = purge_expired(session, settings, now=START + timedelta(days=1, hours=1))
    assert (later.analyses, later.photos) == (0, 1)
    assert _state(database) == {"fresh": None, "month": None}


def test_without_an_analyses_limit_only_photos_go(
    database: sessionmaker[Session], settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory()
    assert settings.retention_analyses_days is None and settings.retention_raw_photos_days == 30
    _analysis(database, settings, "ancient", age_days=3000)
    with database() as session:
        report = purge_expired(session, settings, now=START)
    assert report.analyses_cutoff is None and (report.analyses, report.photos) == (0, 1)
    assert _state(database) == {"ancient": None}


def test_zero_days_keeps_no_photo_but_spares_fresh_orphans(
    database: sessionmaker[Session], settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory(retention_raw_photos_days=0)
    _analysis(database, settings, "today", age_days=0.01)
    in_flight = Path(settings.data_dir / "raw" / "wx_2" / "new.jpg.enc")
    in_flight.parent.mkdir(parents=True)
    in_flight.write_bytes(b"being committed")  # written now: within the orphan grace
    with database() as session:
        report = purge_expired(session, settings, now=datetime.now(UTC))
    assert (report.photos, report.orphan_files) == (1, 0)
    assert in_flight.exists()


def test_an_empty_purge_is_audited_only_when_asked(
    database: sessionmaker[Session], settings_factory: Callable[..., Settings]
) -> None:
    settings = settings_factory()
    with database() as session:
        purge_expired(session, settings, now=START, audit_empty=False)
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        purge_expired(session, settings, now=START)
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 1
