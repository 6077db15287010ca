"""MLflow tracking for training runs (local SQLite store by default, any server by URL).

What a run logs is in :mod:`training.skin_tracking` and :mod:`training.propensity_tracking`.
"""

from __future__ import annotations

from typing import Any

import mlflow

from skinlab.settings import Settings


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
