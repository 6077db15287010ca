"""MLflow plumbing of the registry: aliases, history tags, version tags and artifact copies."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion, RegisteredModel
from mlflow.exceptions import MlflowException

from skinlab.errors import InvalidInput, NotFound
from skinlab.settings import Settings
from training.tracking import configure

CHAMPION, CHALLENGER = "champion", "challenger"
HISTORY_TAG = "champion_history"
EVENT_PREFIX = "event."
CACHE_DIR = "registry"
TAG_LIMIT = 5000  # characters in a registered-model tag value (MLflow's SQL schema)


def client(settings: Settings) -> MlflowClient:
    configure(settings)
    return MlflowClient(settings.mlflow_tracking_uri)


def registered(client: MlflowClient, name: str) -> RegisteredModel | None:
    try:
        return client.get_registered_model(name)
    except MlflowException as error:
        if error.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise


def alias(client: MlflowClient, name: str, which: str) -> int | None:
    model = registered(client, name)
    version = model.aliases.get(which) if model is not None else None
    return int(version) if version is not None else None


def require_version(client: MlflowClient, name: str, version: int) -> None:
    """Raise ``NotFound`` (``UNKNOWN_VERSION``) unless ``name`` has ``version``."""
    try:
        client.get_model_version(name, str(version))
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        raise NotFound(
            f"{name} has no version {version}.",
            code="UNKNOWN_VERSION",
            message_zh=f"{name} 没有第 {version} 版。",
        ) from error


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def champion_stack(model: RegisteredModel) -> list[int]:
    return [int(v) for v in json.loads(model.tags.get(HISTORY_TAG, "[]"))]


def record(client: MlflowClient, name: str, event: dict[str, Any]) -> None:
    model = registered(client, name)
    assert model is not None
    count = sum(1 for key in model.tags if key.startswith(EVENT_PREFIX))
    text = json.dumps({"at": now(), **event}, ensure_ascii=False, default=str)
    client.set_registered_model_tag(name, f"{EVENT_PREFIX}{count + 1:06d}", text[:TAG_LIMIT])


def set_champion(client: MlflowClient, name: str, version: int, stack: list[int]) -> None:
    client.set_registered_model_alias(name, CHAMPION, str(version))
    client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(stack))


def training_tags(model_type: str, manifest: dict[str, Any]) -> dict[str, str]:
    data = json.dumps(
        {"data": manifest.get("data"), "on": manifest.get("trained_on")}, sort_keys=True
    )
    tags = {
        "model_type": model_type,
        "manifest_version": str(manifest.get("version")),
        "trained_on": str(manifest.get("trained_on"))[:500],
        "data_fingerprint": hashlib.sha256(data.encode()).hexdigest()[:16],
    }
    metrics = manifest.get("metrics", {})
    if model_type == "propensity":
        for key in ("roc_auc", "ece", "pr_auc", "lift_top10"):
            tags[f"metric.{key}"] = f"{metrics['lightgbm'][key]:.6g}"
    else:
        heads = [metrics[c] for c in metrics if isinstance(metrics[c], dict)]
        for key in ("spearman", "mae"):
            tags[f"metric.{key}"] = f"{sum(h[key] for h in heads) / max(len(heads), 1):.6g}"
    return tags


def describe(version: ModelVersion, aliases: dict[str, str]) -> dict[str, Any]:
    # search_model_versions leaves ``aliases`` empty; the registered model has them.
    return {
        "version": int(version.version),
        "aliases": sorted(a for a, v in aliases.items() if int(v) == int(version.version)),
        "run_id": version.run_id,
        "created": datetime.fromtimestamp(version.creation_timestamp / 1000, UTC).isoformat(
            timespec="seconds"
        ),
        "tags": dict(version.tags),
    }


def run_manifest(settings: Settings, run_id: str, path: str) -> dict[str, Any]:
    """The ``manifest.json`` a run logged in its artifacts folder ``path``."""
    with tempfile.TemporaryDirectory() as scratch:
        try:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id,
                artifact_path=f"{path}/manifest.json",
                dst_path=scratch,
                tracking_uri=settings.mlflow_tracking_uri,
            )
        except (MlflowException, OSError) as error:
            raise InvalidInput(
                f"Run {run_id} has no {path}/manifest.json to register.",
                message_zh=f"运行 {run_id} 中没有可注册的 {path}/manifest.json。",
            ) from error
        manifest: dict[str, Any] = json.loads(Path(local).read_text("utf-8"))
    return manifest


def download(settings: Settings, run_id: str, path: str, target: Path) -> None:
    """Copy a run's artifacts folder to ``target``, moved into place whole (atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id,
            artifact_path=path,
            dst_path=scratch,
            tracking_uri=settings.mlflow_tracking_uri,
        )
        try:
            os.replace(local, target)
        except OSError:
            if not target.is_dir():  # another process moved its copy in first
                raise
