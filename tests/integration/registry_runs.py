"""Log a model folder as an MLflow run, ready for ``registry.register_run`` (registry tests)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow

from skinlab.settings import Settings
from training._registry_frozen import SKIN_SPEC
from training.tracking import set_experiment

# A small frozen skin sweep for tests (48 painted faces, about 15 s to build instead of minutes):
# one source face, the lightest and darkest tones, three severities.
TINY_SKIN_SPEC = {**SKIN_SPEC, "sources": 1, "tones": [55.0, -35.0], "severities": [0.0, 0.5, 1.0]}


def log_propensity_run(settings: Settings, folder: Path) -> str:
    """Log an artifacts folder as a run of the propensity experiment; returns the run id."""
    set_experiment(settings, "propensity")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(folder), artifact_path="propensity")
    return str(run.info.run_id)


def manifest_version(folder: Path) -> str:
    """The version a model folder's answers carry (its manifest's ``version``)."""
    return str(json.loads((folder / "manifest.json").read_text("utf-8"))["version"])
