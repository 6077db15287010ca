"""MLflow tracking of a propensity run (experiment ``propensity``): params, metrics, plots, model.

One ``start_run`` logs the config, every model's held-out metrics (``lightgbm.roc_auc``,
``rfm.lift_top10``...), the calibration and lift curves and the feature importance as PNGs,
the artifacts folder, and the ONNX model with its signature. ``pip_requirements`` is given so
MLflow does not spend seconds inferring them.
"""

from __future__ import annotations

import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mlflow
import mlflow.onnx
import numpy as np
import onnx
from mlflow.models import infer_signature

from skinlab.settings import Settings
from training.propensity_export import ONNX_FILE
from training.propensity_pipeline import PropensityResult
from training.tracking import _flatten, set_experiment

PROPENSITY_EXPERIMENT = "propensity"


def plot_curves(result: PropensityResult, folder: Path) -> list[Path]:
    """Calibration curve, cumulative lift and feature importance (top 20) as PNG files."""
    metrics, curves = result.run.metrics, result.run.curves
    calibration = metrics["lightgbm"]["calibration_curve"]
    fig, (cal_ax, lift_ax) = plt.subplots(1, 2, figsize=(11, 4))
    top = max(max(calibration["predicted"]), max(calibration["observed"]))
    cal_ax.plot([0, top], [0, top], "k--", label="perfect")
    cal_ax.plot(calibration["predicted"], calibration["observed"], "o-", label="LightGBM")
    cal_ax.set_xlabel("predicted probability (decile mean)")
    cal_ax.set_ylabel("observed rate")
    cal_ax.set_title(f"Calibration, held-out period (ECE {metrics['lightgbm']['ece']:.4f})")
    cal_ax.legend()
    for name, curve in curves.items():
        lift_ax.plot(curve["fraction"], curve["capture"], label=name)
    lift_ax.plot([0, 1], [0, 1], "k--", label="random")
    lift_ax.set_xlabel("share of users called (top by score)")
    lift_ax.set_ylabel("share of buyers captured")
    lift_ax.set_title("Cumulative capture (gains)")
    lift_ax.legend()
    fig.tight_layout()
    curves_png = folder / "calibration_and_lift.png"
    fig.savefig(curves_png, dpi=100)
    plt.close(fig)
    fitted = result.run.fitted
    gain = fitted.model.booster_.feature_importance(importance_type="gain")
    order = np.argsort(gain)[::-1][:20][::-1]
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.barh([fitted.feature_names[i] for i in order], gain[order], color="#3b7dd8")
    ax.set_title("LightGBM feature importance (total gain, top 20)")
    fig.tight_layout()
    importance_png = folder / "feature_importance.png"
    fig.savefig(importance_png, dpi=100)
    plt.close(fig)
    return [curves_png, importance_png]


def _metrics(metrics: dict[str, Any]) -> dict[str, float]:
    flat: dict[str, float] = {}
    for model, values in metrics.items():
        for name, value in values.items():
            if model == "targets":
                flat[f"targets.{name}"] = float(value["measured"])
            elif isinstance(value, int | float) and not isinstance(value, bool):
                flat[f"{model}.{name}"] = float(value)
    return flat


def log_propensity_run(settings: Settings, result: PropensityResult, out: Path) -> str:
    """Log one propensity run to MLflow; returns the run id."""
    set_experiment(settings, PROPENSITY_EXPERIMENT)
    manifest = result.manifest
    params: dict[str, Any] = {}
    _flatten("", {"config": manifest["config"], "data": manifest["data"]}, params)
    example = result.run.test.features.iloc[:5].to_numpy(np.float32)
    requirements = [f"onnxruntime=={version('onnxruntime')}", f"onnx=={version('onnx')}"]
    with mlflow.start_run(run_name=f"propensity-{manifest['task']}-{manifest['version']}") as run:
        mlflow.set_tags({"model": "propensity", "task": manifest["task"]})
        mlflow.set_tag("trained_on", manifest["trained_on"])
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics(_metrics(manifest["metrics"]))
        mlflow.log_metric("onnx_parity_max_abs", manifest["onnx_parity"]["max_abs_diff"])
        mlflow.log_metric("seconds_total", manifest["seconds"]["total"])
        mlflow.log_artifacts(str(out), artifact_path="propensity")
        with tempfile.TemporaryDirectory() as scratch:
            for plot in plot_curves(result, Path(scratch)):
                mlflow.log_artifact(str(plot), artifact_path="plots")
        raw = result.run.fitted.raw_probability(result.run.test.features.iloc[:5])
        mlflow.onnx.log_model(
            onnx.load(str(out / ONNX_FILE)),
            name="model",
            signature=infer_signature(example, np.stack([1 - raw, raw], axis=1)),
            pip_requirements=requirements,
        )
        return str(run.info.run_id)
