"""The event tables a brand records, for the monthly-card propensity model.

``specs`` holds the column contract of every table (names, dtypes, allowed values, ranges) that
:mod:`data.ingest` validates files against and :mod:`data.simulator` writes; ``rows`` holds a
pydantic model for one row of each table. See ``data/events/specs.py`` for the conventions (ids,
local times, money, channels).
"""

from data.events.rows import ROW_MODELS
from data.events.specs import TABLES, Column, TableName, TableSpec

__all__ = ["ROW_MODELS", "TABLES", "Column", "TableName", "TableSpec"]
