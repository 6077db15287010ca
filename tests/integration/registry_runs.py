"""Log a model folder as an MLflow run, ready for ``registry.register_run`` (registry tests)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow

from skinlab.settings import Settings
from training.tracking import set_experiment


def log_propensity_run(settings: Settings, folder: Path) -> str:
    """Log an artifacts folder as a run of the propensity experiment; returns the run id."""
    set_experiment(settings, "propensity")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(folder), artifact_path="propensity")
    return str(run.info.run_id)


def manifest_version(folder: Path) -> str:
    """The version a model folder's answers carry (its manifest's ``version``)."""
    return str(json.loads((folder / "manifest.json").read_text("utf-8"))["version"])
