"""Vectorised per-user aggregation of Arrow event tables (private helpers of the features)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.as_of import rows_before

DAY = 86_400.0
NEVER_DAYS = 10_000.0
"""Days-since value for "never happened": a number, not NaN, so ONNX and logistic models agree."""


def epoch_seconds(moment: datetime) -> int:
    return int(pa.scalar(moment, pa.timestamp("s")).cast(pa.int64()).as_py())


def seconds(table: pa.Table, column: str) -> np.ndarray:
    """A timestamp column as int64 seconds since the epoch."""
    # safe=False truncates sub-second times (a millisecond Parquet export) instead of refusing
    values = pc.cast(table[column], pa.timestamp("s"), safe=False).cast(pa.int64())
    return np.asarray(values.to_numpy(), dtype=np.int64)


def cut(table: pa.Table, column: str, as_of_s: int) -> pa.Table:
    """Rows strictly before the as-of moment (the point-in-time rule of ``data.as_of``).

    A time-sorted table is sliced without a copy; a history already cut passes whole.
    """
    return rows_before(table, column, as_of_s)


def positions(values: pa.ChunkedArray | pa.Array, value_set: pa.Array) -> np.ndarray:
    """Position of each value in ``value_set``, -1 where absent (hashed in Arrow, no objects)."""
    found = pc.fill_null(pc.index_in(values, value_set=value_set), -1)
    return np.asarray(found.to_numpy(), dtype=np.int64)


def strings(table: pa.Table, column: str) -> np.ndarray:
    return np.asarray(table[column].to_numpy(zero_copy_only=False), dtype=object)


class UserFrame:
    """Positions of users in the output, and per-user reductions of event columns.

    Every reduction takes the row positions from :meth:`codes` (``-1`` for users outside the
    output, which are dropped) and returns one float64 value per output user.
    """

    def __init__(self, user_ids: pd.Index) -> None:
        self.index = user_ids
        self.n = len(user_ids)
        self.ids = pa.array(user_ids.to_numpy(), pa.string())

    def codes(self, table: pa.Table, column: str = "user_id") -> np.ndarray:
        return positions(table[column], self.ids)

    def count(self, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        keep = codes >= 0
        w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
        return np.bincount(codes[keep], weights=w, minlength=self.n).astype(np.float64)

    def maximum(self, codes: np.ndarray, values: np.ndarray, empty: float) -> np.ndarray:
        out = np.full(self.n, -np.inf)
        keep = codes >= 0
        np.maximum.at(out, codes[keep], np.asarray(values, dtype=np.float64)[keep])
        out[np.isneginf(out)] = empty
        return out

    def minimum(self, codes: np.ndarray, values: np.ndarray, empty: float) -> np.ndarray:
        out = np.full(self.n, np.inf)
        keep = codes >= 0
        np.minimum.at(out, codes[keep], np.asarray(values, dtype=np.float64)[keep])
        out[np.isposinf(out)] = empty
        return out

    def days_since_last(self, codes: np.ndarray, when_s: np.ndarray, as_of_s: int) -> np.ndarray:
        last = self.maximum(codes, when_s, empty=np.nan)
        return np.where(np.isnan(last), NEVER_DAYS, (as_of_s - last) / DAY)


def log_trend(recent: np.ndarray, before: np.ndarray, tenure_days: np.ndarray) -> np.ndarray:
    """log of (yearly rate in the last 90 days + 1) over (the yearly rate before them + 1)."""
    recent_rate = recent * 365.0 / 90.0
    earlier_days = np.maximum(tenure_days - 90.0, 30.0)
    before_rate = before * 365.0 / earlier_days
    return np.asarray(np.log1p(recent_rate) - np.log1p(before_rate), dtype=np.float64)


def is_in(table: pa.Table, column: str, values: tuple[str, ...] | str) -> np.ndarray:
    wanted = pa.array([values] if isinstance(values, str) else list(values), pa.string())
    return np.asarray(pc.is_in(table[column], value_set=wanted).to_numpy(zero_copy_only=False))


def numbers(table: pa.Table, column: str, default: float = 0.0) -> np.ndarray:
    """A numeric column as float64; nulls, and a column the file lacks, read as ``default``."""
    if column not in table.column_names:
        return np.full(table.num_rows, default)
    values = pc.fill_null(table[column].cast(pa.float64()), default)
    return np.asarray(values.to_numpy(), dtype=np.float64)
