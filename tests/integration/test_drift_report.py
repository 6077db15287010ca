"""Drift reports end to end against the shipped references: propensity board and stored analyses."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
from skinlab.cli import app as cli
from skinlab.db import utcnow
from skinlab.settings import Settings
from training._drift_html import render_html
from training.drift_propensity import SCORE, propensity_drift, shipped_reference
from training.drift_reference import DriftReference
from training.drift_skin import skin_heads_drift
from training.propensity_config import PropensityConfig
from training.propensity_pipeline import load_events, run_training

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "artifacts"
USERS = 2000
# Features computed from order amounts (the shift below multiplies every amount by 5).
SPEND_FEATURES = ("orders_spend", "orders_mean_amount", "orders_max_amount")


def _rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in report["variables"]}


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    write_simulation(SimulationConfig.load(), USERS, folder)
    return folder


def test_propensity_board_against_the_shipped_reference(events: Path) -> None:
    tables = load_events(events)
    report = propensity_drift(SHIPPED / "propensity", tables, str(events))
    rows = _rows(report)
    assert report["model"] == "propensity"
    assert report["current"]["details"]["users"] + report["current"]["details"][
        "card_holders_left_out"
    ] == pytest.approx(USERS, abs=USERS * 0.05)  # users who joined after the end are not scored
    assert rows[SCORE]["kind"] == "score" and rows[SCORE]["ks"] is not None
    assert sum(report["summary"].values()) == len(rows) == 70
    assert json.loads(json.dumps(report, allow_nan=False)) == report
    assert '<table id="drift-table">' in render_html(report)

    amounts = tables["orders"].column("amount")
    tables["orders"] = tables["orders"].set_column(
        tables["orders"].schema.get_field_index("amount"),
        "amount",
        pc.multiply(amounts, pa.scalar(5, amounts.type)),
    )
    shifted = _rows(propensity_drift(SHIPPED / "propensity", tables, "shifted"))
    for name in SPEND_FEATURES:
        assert shifted[name]["rating"] == "drifted", (name, shifted[name]["psi"])
        assert shifted[name]["psi"] > rows[name]["psi"] + 0.25
    assert shifted["orders_n"]["psi"] == pytest.approx(rows["orders_n"]["psi"])


def test_cli_writes_the_propensity_page(
    events: Path, cli_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SKINLAB_MODELS_DIR", str(SHIPPED))
    out = tmp_path / "drift.html"
    result = CliRunner().invoke(
        cli, ["drift", "report", "propensity", "--events", str(events), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "drifted" in result.output
    assert '<table id="drift-table">' in out.read_text("utf-8")


def test_skin_heads_report_of_stored_analyses(
    api: Callable[..., TestClient],
    settings_factory: Callable[..., Settings],
    png_factory: Callable[..., bytes],
) -> None:
    client = api()
    for grey in (90, 140, 190, 230):
        response = client.post(
            "/analyze",
            data={"consent": "true", "user_id": f"drift_{grey}"},
            files={"image": ("face.png", png_factory((grey, grey, grey)), "image/png")},
        )
        assert response.status_code == 201, response.text
    settings = settings_factory()
    report = skin_heads_drift(settings, since_days=1)
    rows = _rows(report)
    assert report["current"]["details"]["analyses"] == 4
    assert report["current"]["details"]["model_versions"] == {"fake-1": 4}
    assert report["warnings"]  # four analyses are far too few for a trustworthy PSI
    assert rows["score:redness"]["kind"] == "score"
    assert rows["score:redness"]["n_current"] == 4 and rows["score:redness"]["ks"] is not None
    # the fake analyzer reports no quality measures: all missing, which reads as drift
    assert rows["sharpness"]["missing_current"] == 4 and rows["sharpness"]["rating"] == "drifted"
    assert json.loads(json.dumps(report, allow_nan=False)) == report

    later = skin_heads_drift(settings, since_days=1, now=utcnow() + timedelta(days=3))
    assert later["current"]["details"]["analyses"] == 0
    assert later["summary"]["no_data"] == len(rows)
    assert "no data 无数据" in render_html(later)


def test_cli_rejects_options_of_the_other_model(cli_env: Path) -> None:
    runner = CliRunner()
    since = runner.invoke(cli, ["drift", "report", "propensity", "--since", "7"])
    assert since.exit_code == 2 and "skin-heads" in since.output
    unknown = runner.invoke(cli, ["drift", "report", "formulation"])
    assert unknown.exit_code == 2


def test_cli_names_a_missing_reference(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    (models / "skin_heads").mkdir(parents=True)
    monkeypatch.setenv("SKINLAB_MODELS_DIR", str(models))
    result = CliRunner().invoke(cli, ["drift", "report", "skin-heads", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "NO_DRIFT_REFERENCE"


def test_training_writes_the_reference_and_it_can_be_rebuilt(tmp_path: Path) -> None:
    config = PropensityConfig.load(simulated_users=3000)
    config = PropensityConfig.model_validate(
        {**config.model_dump(), "lightgbm": {**config.lightgbm.model_dump(), "n_estimators": 30}}
    )
    out = tmp_path / "model"
    result = run_training(config, out)
    written = DriftReference.load(out)
    assert list(written.variables) == [*result.run.fitted.feature_names, SCORE]
    assert written.model_version == result.manifest["version"]
    assert written.details["rows"] == result.manifest["data"]["train"]["rows"]

    rebuilt = shipped_reference(out)  # simulated again from the manifest's config
    for name in result.run.fitted.feature_names:
        assert rebuilt.variables[name].shares == written.variables[name].shares, name
    # ONNX + numpy calibration against LightGBM + calibrator: equal to float32 rounding
    assert rebuilt.variables[SCORE].percentiles == pytest.approx(
        written.variables[SCORE].percentiles, abs=1e-4
    )
