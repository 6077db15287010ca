"""Migrations build the tables the ORM expects; deleting a user cascades; ids are pseudonyms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text

import data.contacts  # noqa: F401  (registers the card contact table)
import formulations.registry  # noqa: F401  (registers the SKU tables)
import skinlab.api_keys  # registers the API key table (as the noqa line below does)
import skinlab.audit  # registers the audit table
import skinlab.store_keys  # noqa: F401  (registers the store key table)
from data.records import (
    AnalysisRecord,
    ConsentRecord,
    UserRecord,
    ensure_user,
    erase_user,
    is_valid_user_id,
)
from skinlab.db import Base, alembic_config, make_engine, make_sessionmaker, upgrade_database
from skinlab.settings import Settings

TABLES = {
    "users",
    "consents",
    "analyses",
    "skus",
    "sku_issuances",
    "store_stock",
    "store_keys",
    "card_contacts",
    "api_keys",
    "audit_events",
}


def _add_user_with_history(settings: Settings, user_id: str = "wx_1") -> None:
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as session:
        ensure_user(session, user_id)
        session.add(ConsentRecord(user_id=user_id, source="miniprogram"))
        session.add(AnalysisRecord(user_id=user_id, model_version="m", result={"scores": {}}))
        session.commit()
    engine.dispose()


def _count(settings: Settings, table: str) -> int:
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return int(count)


def test_upgrade_creates_every_table_on_a_fresh_database(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory()
    upgrade_database(settings)
    upgrade_database(settings)  # a second run is a no-op
    engine = make_engine(settings.database_url)
    try:
        assert TABLES | {"alembic_version"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":  # what make_engine sets up on SQLite
                assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
                assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            else:
                assert engine.dialect.name == "postgresql"  # the second run of make test
    finally:
        engine.dispose()


def test_migrations_match_the_orm_tables(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory()
    upgrade_database(settings)
    command.check(alembic_config(settings.database_url))  # raises if a migration is missing
    assert set(Base.metadata.tables) == TABLES


def test_upgrade_works_on_an_in_memory_engine(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory(database_url="sqlite://")
    engine = make_engine(settings.database_url)
    upgrade_database(settings, engine=engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_deleting_a_user_in_sql_cascades_to_consents_and_analyses(
    settings_factory: Callable[..., Settings],
) -> None:
    settings = settings_factory()
    upgrade_database(settings)
    _add_user_with_history(settings, "wx_1")
    _add_user_with_history(settings, "wx_2")
    engine = make_engine(settings.database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM users WHERE user_id = 'wx_1'"))
    engine.dispose()
    assert (_count(settings, "users"), _count(settings, "consents")) == (1, 1)
    assert _count(settings, "analyses") == 1


def test_erase_user_counts_what_it_removes(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory()
    upgrade_database(settings)
    _add_user_with_history(settings, "wx_1")
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as session:
        erasure = erase_user(session, "wx_1")
        session.commit()
        assert erasure is not None
        assert (erasure.users, erasure.consents, erasure.analyses) == (1, 1, 1)
        assert session.scalar(select(func.count()).select_from(AnalysisRecord)) == 0
        assert erase_user(session, "wx_1") is None
    engine.dispose()


def test_timestamps_come_back_as_aware_utc(settings_factory: Callable[..., Settings]) -> None:
    settings = settings_factory()
    upgrade_database(settings)
    engine = make_engine(settings.database_url)
    beijing = datetime(2026, 5, 1, 20, 0, tzinfo=timezone(timedelta(hours=8)))
    with make_sessionmaker(engine)() as session:
        session.add(UserRecord(user_id="wx_1", created_at=beijing))
        session.commit()
    with make_sessionmaker(engine)() as session:
        stored = session.get(UserRecord, "wx_1")
        assert stored is not None
        assert stored.created_at == beijing
        assert stored.created_at.tzinfo == UTC
    engine.dispose()


@pytest.mark.parametrize(
    "user_id", ["wx_3f9a1c7e", "oAbC-123_x", "crm:4411", "a", "u.v", "x" * 64, "12345"]
)
def test_pseudonymous_ids_are_accepted(user_id: str) -> None:
    assert is_valid_user_id(user_id)
    UserRecord(user_id=user_id)


@pytest.mark.parametrize(
    "user_id",
    ["", ".", "..", ".hidden", "a/b", "a b", "x" * 65, "名字", "13800138000", "+8613800138000"],
)
def test_unsafe_or_identifying_ids_are_refused(user_id: str) -> None:
    assert not is_valid_user_id(user_id)
    with pytest.raises(ValueError, match="user_id"):
        UserRecord(user_id=user_id)
