"""Ingesting event files: row-level reports, good rows kept, atomic output, the orders minimum."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from data import ingest
from data.events import TABLES
from data.ingest import (
    InvalidEventsFile,
    MissingColumns,
    UnknownTable,
    ingest_file,
)
from data.simulation_config import SimulationConfig
from data.simulator import simulate
from skinlab.errors import InvalidInput

BAD_ORDERS = [
    {"user_id": "u1", "ordered_at": "2025-01-02", "amount": "99.5", "channel": "miniprogram"},
    {"user_id": "u2", "ordered_at": "2025-01-03 10:00", "amount": "abc", "channel": "store"},
    {"user_id": "13812345678", "ordered_at": "2025-01-04", "amount": "10", "channel": ""},
    {"user_id": "u4", "ordered_at": "yesterday", "amount": "10", "channel": "live"},
    {"user_id": "u5", "ordered_at": "2025-01-05", "amount": "-5", "channel": "tv"},
    {"user_id": "u6", "ordered_at": "2025-01-06T10:00:00Z", "amount": "100", "channel": ""},
    {"user_id": "", "ordered_at": "2025-01-06", "amount": "1", "channel": "ecommerce"},
]
EXPECTED_ERRORS = {
    (2, "amount", "not a number (float)"),
    (3, "user_id", "pseudonym"),
    (4, "ordered_at", "not a date/time"),
    (5, "amount", "below the minimum 0"),
    (5, "channel", "must be one of miniprogram, ecommerce, store, live"),
    (7, "user_id", "missing value"),
}


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[list[dict[str, str]], str], Path]:
    """Write rows (all strings) as ``.csv`` or ``.parquet``; returns the path."""

    def write(rows: list[dict[str, str]], suffix: str) -> Path:
        path = tmp_path / f"events{suffix}"
        frame = pd.DataFrame(rows)
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        else:
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        return path

    return write


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_bad_rows_are_reported_and_good_rows_kept(
    write_file: Callable[[list[dict[str, str]], str], Path], tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / "clean" / "orders.parquet"
    result = ingest_file(write_file(BAD_ORDERS, suffix), "orders", out)
    report = result.report
    assert (report.rows_read, report.rows_valid, report.rows_rejected) == (7, 2, 5)
    assert not report.ok and report.errors_total == len(EXPECTED_ERRORS)
    found = {(e.row, e.column, e.reason) for e in report.errors}
    for row, column, reason in EXPECTED_ERRORS:
        assert any(r == row and c == column and reason in why for r, c, why in found), (row, reason)
    written = pq.read_table(out).to_pandas()
    assert list(written.user_id) == ["u1", "u6"]
    assert list(written.amount) == [99.5, 100.0]
    # an offset time is converted to China Standard Time
    assert written.ordered_at[1] == pd.Timestamp(datetime(2025, 1, 6, 18, 0))
    assert report.output == str(out)


def test_the_orders_minimum_is_enough(
    write_file: Callable[[list[dict[str, str]], str], Path],
) -> None:
    rows = [{"user_id": f"crm-{i}", "ordered_at": f"2025-02-0{i}", "amount": "88"} for i in (1, 2)]
    result = ingest_file(write_file(rows, ".csv"), "orders")
    assert result.report.ok and result.report.rows_valid == 2
    assert result.table.column_names == list(TABLES["orders"].names)
    assert result.table["channel"].null_count == 2
    assert set(result.report.filled_columns) == {"order_id", "channel", "items", "sku", "store_id"}
    assert result.report.output is None


def test_defaults_fill_missing_optional_columns(
    write_file: Callable[[list[dict[str, str]], str], Path],
) -> None:
    rows = [{"user_id": "u1", "occurred_at": "2025-03-01 09:00:00", "kind": "sign_in"}]
    table = ingest_file(write_file(rows, ".csv"), "community_activity").table
    assert table["count"].to_pylist() == [1]


def test_a_crash_while_writing_leaves_the_old_output_and_no_partial_file(
    write_file: Callable[[list[dict[str, str]], str], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "orders.parquet"
    out.write_bytes(b"previous run")

    def crash(table: pa.Table, where: str, **kwargs: object) -> None:
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(ingest.pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        ingest_file(write_file(BAD_ORDERS, ".csv"), "orders", out)
    assert out.read_bytes() == b"previous run"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "orders.parquet"]


def test_a_file_that_cannot_be_read_raises_a_bilingual_error(tmp_path: Path) -> None:
    broken = tmp_path / "orders.parquet"
    broken.write_bytes(b"\x00\x01 not parquet")
    with pytest.raises(InvalidEventsFile) as caught:
        ingest_file(broken, "orders")
    error = caught.value
    assert isinstance(error, InvalidInput) and error.status == 422
    assert error.code == "INVALID_EVENTS_FILE"
    assert error.message_zh and "orders.parquet" in error.message


def test_missing_required_columns_are_named(
    write_file: Callable[[list[dict[str, str]], str], Path],
) -> None:
    with pytest.raises(MissingColumns) as caught:
        ingest_file(write_file([{"user_id": "u1", "amount": "3"}], ".csv"), "orders")
    assert caught.value.code == "MISSING_COLUMNS"
    assert caught.value.details["missing"] == ["ordered_at"]


def test_an_unknown_table_names_the_tables(
    write_file: Callable[[list[dict[str, str]], str], Path],
) -> None:
    with pytest.raises(UnknownTable) as caught:
        ingest_file(write_file(BAD_ORDERS, ".csv"), "purchases")
    assert "orders" in caught.value.details["allowed"]


def test_every_simulated_table_ingests_cleanly_from_csv(tmp_path: Path) -> None:
    """The simulator and the ingestion agree on the contract, through a CSV round trip."""
    tables = simulate(SimulationConfig.load(), 400)
    for name in TABLES:
        path = tmp_path / f"{name}.csv"
        pa_csv.write_csv(tables[name], path)
        result = ingest_file(path, name)
        assert result.report.ok, (name, result.report.errors[:3])
        assert result.report.rows_valid == tables[name].num_rows
        assert result.table.equals(tables[name]), name
