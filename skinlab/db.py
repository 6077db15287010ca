"""The database: one SQLAlchemy engine per process, sessions, the declarative base and migrations.

Any SQLAlchemy URL works (``postgresql+psycopg://...`` in production); the default is a SQLite
file in ``settings.data_dir``, opened in WAL mode with foreign keys enforced so that deleting a
user cascades to their consents and analyses.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import DateTime, Dialect, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from skinlab.settings import Settings

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# Named constraints, so migrations can drop or alter them on every backend (SQLite included).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table (see ``data/records.py``)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp, also on SQLite, which stores datetimes without a zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, foreign keys and cross-thread use.

    Parameters
    ----------
    url : str
        A SQLAlchemy database URL.

    Returns
    -------
    Engine
        The engine; call ``dispose()`` when the process is done with it.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    in_memory = parsed.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # One shared connection, or every session would see its own empty database.
        kwargs["poolclass"] = StaticPool
    else:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas_for(in_memory=in_memory))
    return engine


def _sqlite_pragmas_for(*, in_memory: bool) -> Callable[[Any, Any], None]:
    """A connect hook that turns on foreign keys (and WAL for files) on each SQLite connection."""

    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
        finally:
            cursor.close()

    return set_pragmas


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(database_url: str) -> Config:
    """An Alembic ``Config`` built in code (no alembic.ini) for the packaged migrations."""
    from alembic.config import Config

    # stdout passed now: Alembic's default is whatever sys.stdout was when it was imported.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not a main option, so '%' in passwords needs no escaping.
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(
    settings: Settings, revision: str = "head", *, engine: Engine | None = None
) -> None:
    """Apply migrations up to ``revision``, on ``engine`` if given (an in-memory SQLite
    database exists only inside its engine), else on ``settings.database_url``."""
    from alembic import command

    settings.ensure_dirs()
    config = alembic_config(settings.database_url)
    if engine is None:
        command.upgrade(config, revision)
        return
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def new_revision(settings: Settings, message: str, *, autogenerate: bool = True) -> None:
    """Write a new migration file under ``skinlab/migrations/versions`` (for developers)."""
    from alembic import command

    command.revision(
        alembic_config(settings.database_url), message=message, autogenerate=autogenerate
    )
