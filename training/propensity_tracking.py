"""MLflow tracking of a propensity run (experiment ``propensity``): params, metrics, plots, model.

One ``start_run`` logs the config, every model's held-out metrics (``lightgbm.roc_auc``,
``rfm.lift_top10``...), the ONNX parity (``onnx_parity_max_abs``), the plots of
:mod:`training.propensity_plots` under ``plots/``, the artifacts folder, and the ONNX model with
its signature and an input example (five held-out users). ``pip_requirements`` is given so
MLflow does not spend seconds inferring them.
"""

from __future__ import annotations

import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import mlflow.onnx
import numpy as np
import onnx
from mlflow.models import infer_signature

from skinlab.settings import Settings
from training.propensity_export import ONNX_FILE
from training.propensity_pipeline import PropensityResult
from training.propensity_plots import plot_run
from training.tracking import _flatten, set_experiment

PROPENSITY_EXPERIMENT = "propensity"


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
        parity = manifest["onnx_parity"]
        mlflow.log_metric("onnx_parity_max_abs", parity["max_abs_diff"])
        mlflow.log_metric("onnx_parity_max_abs_calibrated", parity["max_abs_diff_calibrated"])
        mlflow.log_metric("seconds_total", manifest["seconds"]["total"])
        mlflow.log_artifacts(str(out), artifact_path="propensity")
        with tempfile.TemporaryDirectory() as scratch:
            for plot in plot_run(result, Path(scratch)):
                mlflow.log_artifact(str(plot), artifact_path="plots")
        raw = result.run.fitted.raw_probability(result.run.test.features.iloc[:5])
        mlflow.onnx.log_model(
            onnx.load(str(out / ONNX_FILE)),
            name="model",
            signature=infer_signature(example, np.stack([1 - raw, raw], axis=1)),
            input_example=example,
            pip_requirements=requirements,
        )
        return str(run.info.run_id)
