"""``skinlab simulate`` and ``skinlab ingest``: JSON output, files written, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from skinlab.cli import app

runner = CliRunner()


def _simulate(out: Path, seed: int) -> dict[str, object]:
    result = runner.invoke(
        app, ["simulate", "--users", "600", "--seed", str(seed), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout)
    return summary


def test_simulate_writes_the_tables_and_prints_a_summary(tmp_path: Path) -> None:
    summary = _simulate(tmp_path / "run", seed=7)
    rows = summary["rows"]
    assert isinstance(rows, dict) and summary["users"] == 600 and summary["seed"] == 7
    for table, count in rows.items():
        assert pq.read_table(tmp_path / "run" / table).num_rows == count, table
    for fact in ("mean_orders_members", "mean_orders_others", "community_retention_12m"):
        assert isinstance(summary[fact], float), fact
    saved = json.loads((tmp_path / "run" / "summary.json").read_text("utf-8"))
    assert saved["rows"] == rows


def test_simulate_is_deterministic_by_seed(tmp_path: Path) -> None:
    first, again = _simulate(tmp_path / "a", seed=3), _simulate(tmp_path / "b", seed=3)
    other = _simulate(tmp_path / "c", seed=4)
    for summary in (first, again, other):
        summary.pop("seconds")
    assert first == again
    assert first != other


def test_simulate_refuses_zero_users(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--users", "0", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert not any(tmp_path.iterdir())


def test_simulate_refuses_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["simulate", "--users", "50", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "OUTPUT_NOT_EMPTY"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_ingest_reports_rejected_rows_and_writes_the_good_ones(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text(
        "user_id,ordered_at,amount\nu1,2025-01-02,10\nu2,2025-13-40,10\nu3,2025-01-03,-1\n",
        encoding="utf-8",
    )
    out = tmp_path / "orders.parquet"
    args = ["ingest", str(source), "--table", "orders", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert (report["rows_valid"], report["rows_rejected"], report["ok"]) == (1, 2, False)
    assert [(e["row"], e["column"]) for e in report["errors"]] == [
        (2, "ordered_at"),
        (3, "amount"),
    ]
    assert pq.read_table(out)["user_id"].to_pylist() == ["u1"]


def test_ingest_of_a_clean_file_exits_0_with_a_readable_summary(tmp_path: Path) -> None:
    source = tmp_path / "orders.csv"
    source.write_text("user_id,ordered_at,amount\nu1,2025-01-02,10\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(source), "--table", "orders"])
    assert result.exit_code == 0, result.output
    assert "OK, 1 of 1 rows valid" in result.stdout


def test_ingest_of_an_unreadable_file_prints_the_error_code(tmp_path: Path) -> None:
    source = tmp_path / "orders.parquet"
    source.write_bytes(b"garbage")
    result = runner.invoke(app, ["ingest", str(source), "--table", "orders"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "INVALID_EVENTS_FILE" and error["message_zh"]


def test_ingest_of_an_unknown_table_exits_2(tmp_path: Path) -> None:
    source = tmp_path / "x.csv"
    source.write_text("a\n1\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(source), "--table", "nope"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "UNKNOWN_TABLE"


def test_the_command_module_imports_no_data_stack() -> None:
    code = (
        "import sys; import skinlab.cli_propensity; "
        "print(sorted({'numpy', 'pandas', 'pyarrow', 'tqdm'} & set(sys.modules)))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"
