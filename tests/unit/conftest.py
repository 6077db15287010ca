"""Fixtures shared by the unit tests of one area or more (the project-wide ones are in tests/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from skinlab.db import make_engine, upgrade_database
from skinlab.settings import Settings


@pytest.fixture
def engine(settings_factory: Callable[..., Settings]) -> Iterator[Engine]:
    """A migrated database (the audit triggers come with migration 0007, not with create_all)."""
    settings = settings_factory()
    engine = make_engine(settings.database_url)
    upgrade_database(settings, engine=engine)
    yield engine
    engine.dispose()
