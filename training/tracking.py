"""MLflow tracking for training runs (local SQLite store by default, any server by URL)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow

from skinlab.settings import Settings

SKIN_EXPERIMENT = "skin-heads"


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out[prefix] = value


def configure(settings: Settings) -> None:
    """Point MLflow at the configured tracking store (creating the local one if needed)."""
    settings.ensure_dirs()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)


def set_experiment(settings: Settings, name: str) -> None:
    """Make ``name`` the active experiment, creating it with its artifacts in the data dir.

    On a SQLite store MLflow would otherwise put artifacts in ``./mlruns`` under whatever folder
    the command ran from, where the registry and ``skinlab mlflow ui`` cannot find them later.
    """
    configure(settings)
    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:") and mlflow.get_experiment_by_name(name) is None:
        location = (settings.data_dir / "mlartifacts" / name).resolve().as_uri()
        mlflow.create_experiment(name, artifact_location=location)
    mlflow.set_experiment(name)


def log_skin_run(settings: Settings, manifest: dict[str, Any], heads_dir: Path) -> str:
    """Log one skin-heads training run: config, data, metrics, plots and the ONNX heads.

    Returns
    -------
    str
        The MLflow run id.
    """
    from training.skin_plots import plot_metrics

    set_experiment(settings, SKIN_EXPERIMENT)
    params: dict[str, Any] = {}
    _flatten("", {"config": manifest["config"], "data": manifest["data"]}, params)
    metrics: dict[str, float] = {}
    for concern, values in manifest["metrics"].items():
        if isinstance(values, dict):
            for name, number in values.items():
                metrics[f"{concern}.{name}"] = float(number)
    metrics["onnx_parity_max_abs"] = float(manifest["onnx_parity_max_abs"])
    with mlflow.start_run(run_name=f"skin-heads-{manifest['version']}") as run:
        mlflow.set_tags({"model": "skin_heads", "trained_on": manifest["trained_on"]})
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics(metrics)
        mlflow.log_artifacts(str(heads_dir), artifact_path="skin_heads")
        with tempfile.TemporaryDirectory() as scratch:
            plot = plot_metrics(manifest["metrics"], Path(scratch) / "metrics.png")
            mlflow.log_artifact(str(plot), artifact_path="plots")
        return str(run.info.run_id)
