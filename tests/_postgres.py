"""A fresh PostgreSQL database per test when ``SKINLAB_TEST_POSTGRES_URL`` names a server.

``.ci/with-postgres`` starts a throwaway server and sets the variable; ``make test`` runs the
database-facing tests a second time that way. Without the variable every test keeps its own
SQLite file, as before.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_URL_ENV = "SKINLAB_TEST_POSTGRES_URL"


def postgres_server() -> str | None:
    """The admin URL of the test server, or None to use SQLite."""
    return os.environ.get(POSTGRES_URL_ENV) or None


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """Create an empty database on ``server``, yield its URL, drop it afterwards."""
    name = f"skinlab_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
