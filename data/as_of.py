"""Point-in-time split: what was known before an as-of moment, and who bought a card after it.

Features must be built from :attr:`PointInTime.history` only; the labels look ``horizon_days``
ahead. Every event table is cut on its ``time_column`` (strictly before ``as_of``); users who
had not joined yet are dropped, and so are current card holders (a card bought before ``as_of``
whose ``months`` still cover it), since they are not candidates for an upgrade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data.events import TABLES
from data.user_codes import plain

_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class PointInTime:
    """The history before ``as_of`` and one label row per candidate user.

    ``labels`` has columns ``user_id`` and ``label`` (1 if the user bought a card in
    ``[as_of, as_of + horizon_days)``); ``holders_excluded`` counts current card holders left out.
    """

    as_of: datetime
    horizon_days: int
    history: dict[str, pa.Table]
    labels: pa.Table
    holders_excluded: int


def _seconds(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    # safe=False truncates sub-second times (a millisecond export) instead of refusing them
    stamps = pc.cast(column, pa.timestamp("s"), safe=False)
    return np.asarray(pc.cast(stamps, pa.int64()).to_numpy(False))


BRAND_TIME = timezone(timedelta(hours=8), "China Standard Time")
"""The zone of every naive event time (see data/events/specs.py)."""


def brand_time(moment: datetime) -> datetime:
    """A naive event time as an aware one in China Standard Time (for APIs and files)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BRAND_TIME)


SORTED_BY = b"skinlab.sorted_by"
"""Schema metadata key naming the time column a table is ordered by (see :func:`sort_by_time`)."""


def sort_by_time(table: pa.Table, column: str) -> pa.Table:
    """``table`` in ``column`` order (stable), marked so that :func:`rows_before` only slices.

    Every point-in-time cut then shares the table's buffers instead of copying them: on a
    million simulated users the training snapshots no longer hold a second copy of the events.
    """
    ordered = table.take(pc.sort_indices(table[column]))  # Arrow's sort is stable
    metadata = {**(table.schema.metadata or {}), SORTED_BY: column.encode()}
    return ordered.replace_schema_metadata(metadata)


def sort_events(tables: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
    """Every event table in time order, except ``users``, whose order fixes the row order of
    every feature matrix (and so what a seeded LightGBM fit sees); unknown tables pass as they are.
    """
    return {
        name: sort_by_time(table, TABLES[name].time_column)
        if name in TABLES and name != "users"
        else table
        for name, table in tables.items()
    }


def _count_before(column: pa.ChunkedArray, moment_s: int) -> int:
    total = 0
    for chunk in column.chunks:
        stamps = _seconds(chunk)
        found = int(np.searchsorted(stamps, moment_s, side="left"))
        total += found
        if found < len(stamps):
            break
    return total


def rows_before(table: pa.Table, column: str, moment_s: int) -> pa.Table:
    """Rows whose ``column`` is strictly before ``moment_s`` (epoch seconds).

    A table sorted by :func:`sort_by_time` is sliced (no copy); any other is filtered, and
    passed whole when nothing is cut.
    """
    if (table.schema.metadata or {}).get(SORTED_BY) == column.encode():
        return table.slice(0, _count_before(table[column], moment_s))
    keep = _seconds(table[column]) < moment_s
    return table if keep.all() else table.filter(pa.array(keep))


def _epoch(moment: datetime) -> int:
    return int(pa.scalar(moment, pa.timestamp("s")).cast(pa.int64()).as_py())


def _before(table: pa.Table, column: str, moment: datetime) -> pa.Table:
    return rows_before(table, column, _epoch(moment))


def current_holders(cards: pa.Table, as_of: datetime) -> pa.Array:
    """User ids whose card, bought before ``as_of``, still covers it."""
    bought = _before(cards, "purchased_at", as_of)
    if bought.num_rows == 0:
        return pa.array([], pa.string())
    months = bought["months"].to_numpy(False) if "months" in bought.column_names else 12
    expiry = _seconds(bought["purchased_at"]) + np.asarray(months) * _DAYS_PER_MONTH * 86400
    now = _epoch(as_of)
    return plain(pc.unique(bought["user_id"].filter(pa.array(expiry > now))))


def split_as_of(tables: Mapping[str, pa.Table], as_of: datetime, horizon_days: int) -> PointInTime:
    """Cut every event table at ``as_of`` and label card purchases in the next ``horizon_days``.

    Parameters
    ----------
    tables : mapping of str to pyarrow.Table
        Event tables by name (at least ``users`` and ``card_purchases``); ``latent_traits`` and
        other unknown names are ignored, so ground truth never reaches the history.
    as_of : datetime
        The moment features are computed at (naive local time, like the tables).
    horizon_days : int
        How far ahead a card purchase counts as a positive label.
    """
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, not {horizon_days}")
    history = {
        name: _before(table, TABLES[name].time_column, as_of)
        for name, table in tables.items()
        if name in TABLES
    }
    cards = tables["card_purchases"]
    holders = current_holders(cards, as_of)
    users = history["users"]["user_id"]
    candidate = pc.invert(pc.is_in(users, value_set=holders))
    candidates = users.filter(candidate)
    end = pa.scalar(as_of + timedelta(days=horizon_days), pa.timestamp("s"))
    start = pa.scalar(as_of, pa.timestamp("s"))
    when = cards["purchased_at"].cast(pa.timestamp("s"))
    window = pc.and_(pc.greater_equal(when, start), pc.less(when, end))
    buyers = plain(pc.unique(cards["user_id"].filter(window)))
    label = pc.cast(pc.is_in(candidates, value_set=buyers), pa.int8())
    return PointInTime(
        as_of=as_of,
        horizon_days=horizon_days,
        history=history,
        labels=pa.table({"user_id": candidates, "label": label}),
        holders_excluded=len(users) - len(candidates),
    )
