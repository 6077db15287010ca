"""``skinlab train propensity``: the ONNX export matches LightGBM within 1e-5, and an export
that does not fails the run (exit code 2, the largest difference and its user named)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from onnx_tamper import shift_first_tree
from typer.testing import CliRunner

import training.propensity_pipeline as pipeline
from skinlab.cli import app
from training.propensity_config import DEFAULT_PROPENSITY_CONFIG
from training.propensity_export import to_onnx

runner = CliRunner()


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    raw = yaml.safe_load(DEFAULT_PROPENSITY_CONFIG.read_text("utf-8"))
    raw["simulated_users"] = 4000
    raw["lightgbm"]["n_estimators"] = 60
    path = tmp_path / "propensity.yaml"
    path.write_text(yaml.safe_dump(raw), "utf-8")
    return path


def _train(config: Path, out: Path) -> tuple[int, dict[str, Any]]:
    args = ["train", "propensity", "--no-track", "--json", "--config", str(config)]
    result = runner.invoke(app, [*args, "--out", str(out)])
    return result.exit_code, json.loads(result.stdout)


def test_a_run_passes_parity_and_a_tampered_export_fails_it(
    small_config: Path, tmp_path: Path, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, summary = _train(small_config, tmp_path / "honest")
    assert code == 0, summary
    parity = summary["onnx_parity"]
    assert parity["ok"] and parity["max_abs_diff"] <= 1e-5 and parity["rows"] > 1000
    assert parity["max_abs_diff_calibrated"] <= 1e-5

    monkeypatch.setattr(
        pipeline,
        "to_onnx",
        lambda fitted: shift_first_tree(to_onnx(fitted), 0.05).SerializeToString(),
    )
    code, body = _train(small_config, tmp_path / "tampered")
    assert code == 2
    error = body["error"]
    assert error["code"] == "ONNX_PARITY_FAILED"
    details = error["details"]
    assert details["max_abs_diff"] > 1e-5 and not details["ok"]
    assert f"{details['max_abs_diff']:.3g}" in error["message"]
    assert f"row {details['worst_row']}" in error["message"]
    assert str(details["worst_row"]) in error["message_zh"]
    assert not (tmp_path / "tampered" / "propensity.onnx").exists()  # nothing was shipped
