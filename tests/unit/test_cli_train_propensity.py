"""``skinlab train propensity``: simulated, events and orders-only runs, artifacts, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
from skinlab.cli import app
from training.propensity_config import DEFAULT_PROPENSITY_CONFIG

runner = CliRunner()
SMALL_USERS = 5000


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    """The shipped config with a small brand and fewer trees, so a run takes seconds."""
    raw = yaml.safe_load(DEFAULT_PROPENSITY_CONFIG.read_text("utf-8"))
    raw["simulated_users"] = SMALL_USERS
    raw["lightgbm"]["n_estimators"] = 60
    path = tmp_path / "propensity.yaml"
    path.write_text(yaml.safe_dump(raw), "utf-8")
    return path


def _train(*args: str) -> tuple[int, dict[str, Any]]:
    result = runner.invoke(app, ["train", "propensity", "--no-track", "--json", *args])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


def test_simulated_run_prints_baselines_side_by_side_and_writes_artifacts(
    small_config: Path, tmp_path: Path, cli_env: Path
) -> None:
    out = tmp_path / "model"
    code, summary = _train("--config", str(small_config), "--out", str(out))
    assert code == 0, summary
    assert set(summary["metrics"]) == {"lightgbm", "lightgbm_uncalibrated", "rfm", "logistic_rfm"}
    for model in summary["metrics"].values():
        assert 0.5 < model["roc_auc"] <= 1.0
    assert summary["trained_on"] == f"simulated:{SMALL_USERS}" and summary["task"] == "card"
    assert summary["onnx_parity"]["ok"] and summary["mlflow_run_id"] is None
    assert set(summary["targets"]) == {"roc_auc_over_rfm", "lift_top10", "ece"}
    names = {p.name for p in out.iterdir()}
    assert {"propensity.onnx", "calibrator.json", "lightgbm.txt", "manifest.json"} <= names
    assert "simulated data only" in (out / "MODEL_CARD.md").read_text("utf-8")


def test_orders_file_trains_repurchase_and_events_folder_trains_card(
    small_config: Path, tmp_path: Path, cli_env: Path
) -> None:
    events = tmp_path / "events"
    write_simulation(SimulationConfig.load(), 3000, events)
    orders_csv = tmp_path / "orders.csv"
    orders = pq.read_table(events / "orders").select(["user_id", "ordered_at", "amount"])
    pacsv.write_csv(orders, orders_csv)
    with orders_csv.open("a", encoding="utf-8") as f:
        f.write('"u999",not-a-date,12.5\n')  # one bad row: reported, the rest still trains
    code, summary = _train(
        "--config", str(small_config), "--orders", str(orders_csv),
        "--as-of", "2025-10-01", "--horizon-days", "90", "--out", str(tmp_path / "rep"),
    )  # fmt: skip
    assert code == 0, summary
    assert summary["task"] == "repurchase" and "bgnbd" in summary["metrics"]
    assert summary["ingest"]["rows_rejected"] == 1
    assert summary["ingest"]["rows_valid"] == orders.num_rows
    assert summary["data"]["train"]["as_of"] == ["2025-07-03"]  # one horizon before the as-of
    assert set(summary["targets"]) == {"roc_auc_over_rfm", "roc_auc_over_bgnbd"}
    # the same folder as event tables trains the card model (latent_traits is never read)
    code, summary = _train(
        "--config", str(small_config), "--events", str(events), "--out", str(tmp_path / "card")
    )
    assert code == 0, summary
    assert summary["trained_on"] == "events:events" and summary["task"] == "card"
    assert summary["data"]["test"]["rows"] < 3000  # holders and later joiners are not scored


def test_events_folder_and_bad_arguments(small_config: Path, tmp_path: Path, cli_env: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, summary = _train("--events", str(empty), "--out", str(tmp_path / "x"))
    assert code == 2 and summary["error"]["code"] == "MISSING_EVENT_TABLES"
    code, summary = _train(
        "--config", str(small_config), "--as-of", "2027-06-01", "--out", str(tmp_path / "y")
    )
    assert code == 2 and summary["error"]["code"] == "NOT_ENOUGH_LABELS"
    assert not (tmp_path / "y").exists()  # nothing half-written
    result = runner.invoke(app, ["train", "propensity", "--orders", str(small_config)])
    assert result.exit_code == 2 and "--as-of" in result.output
