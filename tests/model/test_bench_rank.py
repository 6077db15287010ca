"""``skinlab bench rank`` runs every step once and reports times, ratios and memory honestly."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from skinlab.cli import app
from training.propensity_bench import bench_rank


def test_bench_times_each_step_and_derives_the_ratios(tmp_path: Path) -> None:
    steps: list[str] = []
    report = bench_rank(3000, n_jobs=1, progress=steps.append)
    seconds = report["seconds"]
    assert steps[0] == "simulate" and "bare_lightgbm_fit" in steps
    assert report["users"] == 3000 and report["scored_users"] == 3000
    assert 0 < report["fit_rows"] < report["train_rows"]  # the calibration rows are held out
    pipeline = sum(seconds[step] for step in report["pipeline_steps"])
    assert abs(seconds["pipeline"] - pipeline) < 0.01
    ratios = report["ratios"]
    assert ratios["pipeline_over_bare_fit"] == round(pipeline / seconds["bare_lightgbm_fit"], 2)
    onnx = seconds["onnx_predict"] / seconds["bare_lightgbm_predict"]
    assert abs(ratios["onnx_over_lightgbm_predict"] - onnx) < 0.01
    for name, target in report["targets"].items():
        measured = report["peak_rss_gb"] if name == "peak_rss_gb" else ratios[name]
        assert target["met"] == (measured <= target["max"])
    assert 0.5 < report["held_out_roc_auc"] <= 1


def test_cli_prints_the_report_as_json(cli_env: Path, tmp_path: Path) -> None:
    from data.simulation_config import SimulationConfig
    from data.simulator import write_simulation

    write_simulation(SimulationConfig.load(), 2000, tmp_path / "events")
    result = CliRunner().invoke(
        app, ["bench", "rank", "--events", str(tmp_path / "events"), "--jobs", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert '"benchmark": "rank"' in result.stdout
