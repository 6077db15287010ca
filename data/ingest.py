"""Ingest a brand's event export (CSV or Parquet) with row-level validation.

A file is checked against its table's column contract (:mod:`data.events`): every bad cell is
reported with its row number (1 = the first data row; in a CSV that is line 2), its column and the
reason, the bad rows are left out, and the good rows are kept and written to Parquet. The output
is written to a temporary file in the target folder and renamed over the target only when it is
complete, so a crash never leaves a half-written file. A file that cannot be read at all, lacks
a required column or has one twice, raises an :class:`~skinlab.errors.InvalidInput` subclass
instead.

Columns not in the contract are ignored (and listed in the report); optional columns that are
missing are filled with their default or null. The generic minimum is an orders file with
``user_id, ordered_at, amount``.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from data.events import TABLES, Column, TableSpec
from data.records import USER_ID_RULE, is_valid_user_id
from skinlab.errors import InvalidInput

MAX_LISTED_ERRORS = 1000
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_LOCAL_ZONE = "Asia/Shanghai"
_EXACT_INT = 2**53
_ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "timestamp": pa.timestamp("s"),
    "bool": pa.bool_(),
}


class InvalidEventsFile(InvalidInput):
    """The file cannot be read as CSV or Parquet at all."""

    code = "INVALID_EVENTS_FILE"
    message = "The events file cannot be read as CSV or Parquet."
    message_zh = "无法以 CSV 或 Parquet 格式读取该事件文件。"
    hint = "Export the table as UTF-8 CSV with a header row, or as Parquet."


class MissingColumns(InvalidInput):
    """The file lacks a column the table requires."""

    code = "MISSING_COLUMNS"
    message = "The events file lacks required columns."
    message_zh = "事件文件缺少必需的列。"


class DuplicateColumns(InvalidInput):
    """Two columns of the file have the same contract name (after trimming spaces)."""

    code = "DUPLICATE_COLUMNS"
    message = "The events file has the same column twice."
    message_zh = "事件文件中有重复的列。"
    hint = "Keep one column of each name, e.g. drop 'amount ' when 'amount' is there."


class UnknownTable(InvalidInput):
    code = "UNKNOWN_TABLE"
    message = "No event table has this name."
    message_zh = "没有这个名称的事件表。"


@dataclass(frozen=True)
class RowError:
    """Why one cell made its row invalid."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class IngestReport:
    """What happened to a file: counts, the first errors, and where the good rows went."""

    table: str
    source: str
    rows_read: int
    rows_valid: int
    rows_rejected: int
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    filled_columns: list[str] = field(default_factory=list)
    output: str | None = None

    @property
    def ok(self) -> bool:
        return self.rows_rejected == 0

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["ok"] = self.ok
        return body


@dataclass(frozen=True)
class IngestResult:
    report: IngestReport
    table: pa.Table


def spec_for(table: str) -> TableSpec:
    """The contract of ``table``; :class:`UnknownTable` names the tables otherwise."""
    if table not in TABLES:
        raise UnknownTable(
            f"No event table is called {table!r}; tables: {', '.join(TABLES)}.",
            details={"allowed": list(TABLES)},
        )
    return TABLES[table]


def read_as_text(path: Path) -> pd.DataFrame:
    """Every cell of a CSV or Parquet file as a string (``""`` for missing)."""
    try:
        if path.suffix.lower() in {".parquet", ".pq"}:
            arrow = pq.read_table(path)
            frame = pd.DataFrame(
                {name: arrow[name].cast(pa.string()).to_pandas() for name in arrow.column_names}
            )
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError, pa.ArrowException) as exc:
        raise InvalidEventsFile(
            f"{path.name} cannot be read as CSV or Parquet: {exc}".splitlines()[0],
            details={"file": str(path)},
        ) from exc
    frame.columns = [str(name).strip() for name in frame.columns]
    return frame.fillna("").astype(str)


def _parse_timestamps(text: pd.Series) -> pd.Series:
    aware = text.str.contains(_OFFSET, regex=True)
    parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    if (~aware).any():
        naive = pd.to_datetime(text[~aware], errors="coerce", format="ISO8601")
        parsed[~aware] = naive.astype("datetime64[s]")
    if aware.any():
        utc = pd.to_datetime(text[aware], errors="coerce", format="ISO8601", utc=True)
        parsed[aware] = utc.dt.tz_convert(_LOCAL_ZONE).dt.tz_localize(None).astype("datetime64[s]")
    return parsed


def _check_column(column: Column, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse one column; returns ``(values, reason)`` where reason is ``""`` for good cells."""
    text = text.str.strip()
    missing = text == ""
    reason = pd.Series("", index=text.index, dtype=object)
    values: pd.Series
    if column.dtype == "string":
        values = text.where(~missing, None)
        bad = ~missing
        if column.is_user_id:
            # ids repeat across rows, so the rule runs once per distinct id
            invalid = [value for value in text.unique() if not is_valid_user_id(value)]
            ok = ~text.isin(invalid)
            reason[bad & ~ok] = USER_ID_RULE
        if column.allowed is not None:
            reason[bad & ~text.isin(column.allowed)] = f"must be one of {', '.join(column.allowed)}"
    elif column.dtype in ("int", "float"):
        number = pd.to_numeric(text.where(~missing), errors="coerce").astype(float)
        reason[~missing & ~np.isfinite(number)] = f"not a number ({column.dtype})"
        if column.dtype == "int":
            fraction = np.isfinite(number) & (number != np.floor(number))
            reason[fraction] = "not a whole number"
            # Parsed through float64: past 2**53 a count is no longer exact, and past 2**63 the
            # int64 cast below would wrap it to a negative number.
            reason[np.isfinite(number) & (number.abs() > _EXACT_INT)] = (
                f"too large for a whole number (at most {_EXACT_INT:,})"
            )
        if column.minimum is not None:
            reason[number < column.minimum] = f"below the minimum {column.minimum:g}"
        if column.maximum is not None:
            reason[number > column.maximum] = f"above the maximum {column.maximum:g}"
        values = number
    elif column.dtype == "timestamp":
        values = _parse_timestamps(text)
        reason[~missing & values.isna()] = "not a date/time (use ISO 8601, e.g. 2025-03-01 10:00)"
    else:
        lowered = text.str.lower()
        values = lowered.isin(_TRUE)
        reason[~missing & ~lowered.isin(_TRUE | _FALSE)] = "not true/false"
    if not column.nullable and column.default is None:
        reason[missing] = "missing value"
    return values, reason


def _to_arrow(column: Column, values: pd.Series, missing: pd.Series) -> pa.Array:
    kind = _ARROW_TYPES[column.dtype]
    if column.default is not None:
        values = values.where(~missing, column.default)
        missing = pd.Series(False, index=values.index)
    if column.dtype == "int":
        return pa.array(values.fillna(0).astype(np.int64), kind, mask=missing.to_numpy())
    if column.dtype == "timestamp":
        return pa.array(values.astype("datetime64[s]"), kind)
    return pa.array(values.astype(object).where(~missing, None), kind)


def validate_frame(frame: pd.DataFrame, spec: TableSpec, source: str) -> IngestResult:
    """Check every cell of ``frame`` (all strings) and keep the rows with no bad cell."""
    missing_required = [name for name in spec.required if name not in frame.columns]
    if missing_required:
        raise MissingColumns(
            f"{source} lacks required column(s) {', '.join(missing_required)} for table "
            f"{spec.name} (required: {', '.join(spec.required)}).",
            message_zh=f"{source} 缺少必需的列：{', '.join(missing_required)}。",
            details={"missing": missing_required, "required": list(spec.required)},
        )
    # Names are trimmed when read, so "amount" and " amount " collide: refuse to guess.
    duplicated = sorted({name for name in spec.names if list(frame.columns).count(name) > 1})
    if duplicated:
        raise DuplicateColumns(
            f"{source} has column(s) {', '.join(duplicated)} more than once.",
            message_zh=f"{source} 中以下列重复出现：{', '.join(duplicated)}。",
            details={"duplicated": duplicated},
        )
    errors: list[RowError] = []
    total_errors = 0
    bad_rows = np.zeros(len(frame), bool)
    parsed: dict[str, tuple[pd.Series, pd.Series]] = {}
    filled = [c.name for c in spec.columns if c.name not in frame.columns]
    for column in spec.columns:
        text = frame[column.name] if column.name in frame.columns else None
        if text is None:
            text = pd.Series("", index=frame.index, dtype=object)
        values, reason = _check_column(column, text)
        parsed[column.name] = (values, text.str.strip() == "")
        failed = (reason != "").to_numpy()
        bad_rows |= failed
        total_errors += int(failed.sum())
        for position in np.flatnonzero(failed)[: MAX_LISTED_ERRORS - len(errors)]:
            errors.append(
                RowError(
                    row=int(position) + 1,
                    column=column.name,
                    value=str(text.iloc[position])[:80],
                    reason=str(reason.iloc[position]),
                )
            )
    errors.sort(key=lambda e: (e.row, spec.names.index(e.column)))
    keep = ~bad_rows
    arrays = {
        column.name: _to_arrow(
            column,
            parsed[column.name][0][keep].reset_index(drop=True),
            parsed[column.name][1][keep].reset_index(drop=True),
        )
        for column in spec.columns
    }
    table = pa.table(arrays)
    report = IngestReport(
        table=spec.name,
        source=source,
        rows_read=len(frame),
        rows_valid=int(keep.sum()),
        rows_rejected=int(bad_rows.sum()),
        errors=errors[:MAX_LISTED_ERRORS],
        errors_total=total_errors,
        ignored_columns=[c for c in frame.columns if c not in spec.names],
        filled_columns=filled,
    )
    return IngestResult(report=report, table=table)


def write_parquet_atomic(table: pa.Table, out: Path) -> None:
    """Write ``table`` to ``out`` so that ``out`` is either the old file or the whole new one."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(handle)
    try:
        pq.write_table(table, temporary, compression="zstd")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the output is an ordinary file
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ingest_file(path: Path, table: str, out: Path | None = None) -> IngestResult:
    """Validate ``path`` against ``table``'s contract and write the good rows to ``out``.

    Parameters
    ----------
    path : Path
        A CSV (UTF-8, header row) or Parquet file (``.parquet``/``.pq``).
    table : str
        The event table it holds, e.g. ``"orders"``.
    out : Path, optional
        Parquet file for the valid rows, replaced atomically; nothing is written when omitted.

    Returns
    -------
    IngestResult
        The report (counts, errors with row, column and reason) and the valid rows.

    Raises
    ------
    UnknownTable, InvalidEventsFile, MissingColumns, DuplicateColumns
        When no row can be ingested at all.
    """
    spec = spec_for(table)
    result = validate_frame(read_as_text(path), spec, path.name)
    if out is not None:
        write_parquet_atomic(result.table, out)
        result.report.output = str(out)
    return result
