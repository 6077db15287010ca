"""Inputs the ingestion properties (``test_ingest_properties.py``) found wrong, kept as tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.events import TABLES
from data.ingest import DuplicateColumns, ingest_file, validate_frame


def test_integers_too_large_to_be_exact_are_rejected_not_wrapped() -> None:
    """``items=1e30`` was kept, cast to int64 as -9223372036854775808 (below its minimum 1)."""
    frame = pd.DataFrame(
        {
            "user_id": ["u1", "u2", "u3", "u4"],
            "ordered_at": ["2025-01-01"] * 4,
            "amount": ["10"] * 4,
            "items": ["1e30", "99999999999999999999999", str(2**53), "3"],
        }
    )
    result = validate_frame(frame, TABLES["orders"], "orders.csv")
    assert [(e.row, e.column) for e in result.report.errors] == [(1, "items"), (2, "items")]
    assert "too large" in result.report.errors[0].reason
    assert result.table.column("items").to_pylist() == [2**53, 3]


def test_a_column_named_twice_once_with_spaces_is_refused(tmp_path: Path) -> None:
    """``amount`` and `` amount `` both trim to ``amount``: this crashed with AttributeError."""
    source = tmp_path / "orders.csv"
    source.write_text("user_id,ordered_at,amount, amount \nu1,2025-01-01,10,12\n", "utf-8")
    with pytest.raises(DuplicateColumns) as refused:
        ingest_file(source, "orders")
    assert refused.value.status == 422 and refused.value.details == {"duplicated": ["amount"]}
