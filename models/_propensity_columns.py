"""Vectorised per-user aggregation of Arrow event tables (private helpers of the features)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.as_of import rows_before
from data.user_codes import dictionary_key, positions

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
        self._through: dict[tuple[int, int, int], np.ndarray] = {}

    def codes(self, table: pa.Table, column: str = "user_id") -> np.ndarray:
        values = table[column]
        if not (pa.types.is_dictionary(values.type) and values.num_chunks):
            return positions(values, self.ids)
        return np.concatenate([self._dictionary_codes(chunk) for chunk in values.chunks])

    def _dictionary_codes(self, chunk: pa.DictionaryArray) -> np.ndarray:
        # the event tables share one dictionary (data.user_codes): look it up once per frame
        key = dictionary_key(chunk)
        found = self._through.get(key)
        if found is None:
            found = self._through[key] = positions(chunk.dictionary, self.ids)
        indices = np.asarray(chunk.indices.fill_null(0).to_numpy(), dtype=np.int64)
        return found[indices] if len(found) else np.full(len(chunk), -1, dtype=np.int64)

    def count(self, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        keep = codes >= 0
        w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
        return np.bincount(codes[keep], weights=w, minlength=self.n).astype(np.float64)

    def count_by(
        self,
        codes: np.ndarray,
        groups: np.ndarray,
        n_groups: int,
        weights: np.ndarray | None = None,
    ) -> np.ndarray:
        """Per-user totals by group, shape ``(n_users, n_groups)``; rows in group -1 are left out.

        One pass over the rows instead of one masked :meth:`count` per group.
        """
        keep = (codes >= 0) & (groups >= 0)
        w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
        flat = codes[keep] * n_groups + groups[keep]
        totals = np.bincount(flat, weights=w, minlength=self.n * n_groups)
        return totals.astype(np.float64).reshape(self.n, n_groups)

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
    """True for the rows whose ``column`` is one of ``values`` (bool, one per row)."""
    wanted = (values,) if isinstance(values, str) else values
    return category_codes(table, column, wanted) >= 0


def category_codes(table: pa.Table, column: str, categories: tuple[str, ...]) -> np.ndarray:
    """Position of each row's ``column`` value in ``categories``, -1 for any other value.

    A dictionary-encoded column (how events load) is looked up once per dictionary entry and
    gathered by its integer indices, instead of comparing every row's string.
    """
    return positions(table[column], pa.array(list(categories), pa.string()))


def numbers(table: pa.Table, column: str, default: float = 0.0) -> np.ndarray:
    """A numeric column as float64; nulls, and a column the file lacks, read as ``default``."""
    if column not in table.column_names:
        return np.full(table.num_rows, default)
    values = pc.fill_null(table[column].cast(pa.float64()), default)
    return np.asarray(values.to_numpy(), dtype=np.float64)
