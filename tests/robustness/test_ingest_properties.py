"""Hypothesis on event ingestion: any text frame is validated row by row, never crashes.

Frames are drawn for every event table with columns left out or added, and cells that are
valid, empty, out of range, of the wrong type, badly dated or plain unicode noise. Properties:
the only refusal of a whole file is an ``InvalidInput`` (missing required columns, unreadable
file); otherwise kept and rejected rows add up to the rows read, every rejected row is reported,
the Parquet written holds exactly the kept rows, and ingesting that Parquet again keeps them all
unchanged.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data.events import TABLES, Column, TableSpec
from data.ingest import (
    MAX_LISTED_ERRORS,
    DuplicateColumns,
    MissingColumns,
    ingest_file,
    validate_frame,
)
from skinlab.errors import InvalidInput

INGEST_SETTINGS = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
NOISE = st.text(max_size=12) | st.sampled_from(["", " ", "nan", "NULL", "None", "-", "\ufeff"])
DATES = st.datetimes(
    min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
    max_value=pd.Timestamp("2100-12-31").to_pydatetime(),
)
BAD_DATES = st.sampled_from(
    ["yesterday", "2025-13-01", "2025-02-30", "0000-00-00", "99999-01-01 00:00", "2025/03/01x"]
)


def _timestamps() -> st.SearchStrategy[str]:
    plain = DATES.map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S"))
    offset = st.tuples(DATES, st.sampled_from(["Z", "+08:00", "-05:30", "+0800"])).map(
        lambda pair: pair[0].strftime("%Y-%m-%dT%H:%M:%S") + pair[1]
    )
    return plain | offset | DATES.map(lambda d: d.date().isoformat())


def valid_cell(column: Column) -> st.SearchStrategy[str]:
    """A value the column's contract accepts."""
    low = column.minimum if column.minimum is not None else -1e6
    high = column.maximum if column.maximum is not None else 1e7
    if column.is_user_id:
        return st.from_regex(r"u[0-9]{1,9}", fullmatch=True)
    if column.allowed is not None:
        return st.sampled_from(column.allowed)
    if column.dtype == "string":
        return st.text(max_size=20)
    if column.dtype == "timestamp":
        return _timestamps()
    if column.dtype == "bool":
        return st.sampled_from(["true", "false", "TRUE", "0", "1", "yes", "n"])
    if column.dtype == "int":
        return st.integers(int(low), int(high)).map(str)
    return st.floats(low, high).map(repr)


def bad_cell(column: Column) -> st.SearchStrategy[str]:
    """A value it may refuse: noise, the wrong type, out of range, a bad date, a phone number."""
    odd = ["1,000", "1e3", "0x10", "1.5", "-1", "-0", "+7", "٣", "inf", "nan", "1_000"]
    huge = ["1e30", "9223372036854775808", "-9223372036854775809", "1e308", "-1e308"]
    dates = ["yesterday", "2025-13-01", "2025-02-30", "0000-00-00", "99999-01-01", "1/2/3x"]
    people = ["13812345678", "+8613812345678", "a b", "u" * 80]
    values = [*odd, *huge, *dates, *people, *[a.upper() for a in column.allowed or ()]]
    return NOISE | st.sampled_from(values) | st.integers().map(str)


@st.composite
def frames(draw: st.DrawFn) -> tuple[TableSpec, pd.DataFrame]:
    """An event table and a frame of text cells for it (some columns missing, some extra)."""
    spec = draw(st.sampled_from(list(TABLES.values())))
    # One frame in six loses columns at random (required ones too); the rest only optional ones.
    if draw(st.integers(0, 5)) == 0:
        columns = [c for c in spec.columns if draw(st.booleans())]
    else:
        columns = [c for c in spec.columns if c.name in spec.required or draw(st.booleans())]
    extra = draw(st.lists(st.sampled_from(["note", "备注", " amount ", "Unnamed: 0"]), max_size=2))
    n_rows = draw(st.integers(0, 12))
    # Dirty rows mix valid and bad cells; clean rows are valid throughout, so rows survive.
    dirty = draw(st.sets(st.integers(0, max(n_rows - 1, 0)), max_size=n_rows))
    data: dict[str, list[str]] = {
        column.name: [
            draw(valid_cell(column) | bad_cell(column) if row in dirty else valid_cell(column))
            for row in range(n_rows)
        ]
        for column in columns
    }
    for name in extra:
        data.setdefault(name, draw(st.lists(NOISE, min_size=n_rows, max_size=n_rows)))
    return spec, pd.DataFrame(data, dtype=object).reindex(range(n_rows)).fillna("")


@INGEST_SETTINGS
@given(drawn=frames())
def test_validation_accounts_for_every_row(drawn: tuple[TableSpec, pd.DataFrame]) -> None:
    spec, frame = drawn
    missing = [name for name in spec.required if name not in frame.columns]
    try:
        result = validate_frame(frame, spec, "drawn.csv")
    except MissingColumns as error:
        assert missing and error.details["missing"] == missing
        return
    assert not missing
    report = result.report
    assert report.rows_read == len(frame)
    assert report.rows_valid + report.rows_rejected == report.rows_read
    assert result.table.num_rows == report.rows_valid
    assert tuple(result.table.column_names) == spec.names
    if report.errors_total <= MAX_LISTED_ERRORS:
        assert len({error.row for error in report.errors}) == report.rows_rejected
    assert all(1 <= error.row <= len(frame) for error in report.errors)
    event("rows kept" if report.rows_valid else "no row kept")


@INGEST_SETTINGS
@given(drawn=frames())
def test_written_parquet_holds_the_kept_rows_and_reingests_unchanged(
    drawn: tuple[TableSpec, pd.DataFrame],
) -> None:
    spec, frame = drawn
    if any(name not in frame.columns for name in spec.required):
        return  # the test above covers refusals
    with tempfile.TemporaryDirectory() as folder:
        source, out = Path(folder) / "events.csv", Path(folder) / "events.parquet"
        # Quoted, so that a cell holding a lone "\r" stays a cell instead of ending a line.
        frame.to_csv(source, index=False, quoting=csv.QUOTE_ALL)
        trimmed = [str(name).strip() for name in frame.columns]
        try:
            result = ingest_file(source, spec.name, out)
        except DuplicateColumns as error:
            assert all(trimmed.count(name) > 1 for name in error.details["duplicated"])
            return
        # Parquet has no second unit: timestamp[s] columns come back as timestamp[ms].
        written = pq.read_table(out).cast(result.table.schema)
        assert written.equals(result.table)
        assert result.report.rows_valid + result.report.rows_rejected == len(frame)
        event("rows kept and re-ingested" if written.num_rows else "no row kept")
        again = ingest_file(out, spec.name)
        assert again.report.rows_rejected == 0, again.report.errors[:3]
        assert again.table.equals(written)


@INGEST_SETTINGS
@given(
    table=st.sampled_from(sorted(TABLES)),
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    header=st.booleans(),
)
def test_any_csv_text_is_ingested_or_refused_as_invalid_input(
    table: str, text: str, header: bool
) -> None:
    spec = TABLES[table]
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "events.csv"
        source.write_text((",".join(spec.names) + "\n" if header else "") + text, "utf-8")
        try:
            result = ingest_file(source, table)
        except InvalidInput as error:
            assert error.code and error.message
            return
        report = result.report
        assert report.rows_valid + report.rows_rejected == report.rows_read
