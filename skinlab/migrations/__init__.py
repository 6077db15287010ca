"""Alembic migrations of the skinlab database, run with ``skinlab db upgrade`` (no alembic.ini)."""
