"""Frozen evaluation sets for the promotion gate, and scoring an artifacts folder on them.

Each set is generated once from a fixed spec, cached under ``<data dir>/frozen_eval/`` and
fingerprinted by its content (SHA-256 of the arrays), so a champion and a challenger are always
scored on identical inputs and every comparison records which inputs those were.

- ``skin-heads``: a severity sweep like ``training.skin_eval``: each concern painted alone at
  0, 0.2 … 1.0 on the two held-out faces (``synthetic-test``, mirrors left out) at four skin
  tones: 384 painted faces, measured once (about a minute); scoring runs only the heads.
- ``propensity``: a brand of 40,000 users simulated with its own seed (not the training seed)
  and its card snapshot at the config's held-out date: 34,001 users, 215 buyers.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from data.vocabulary import CONCERNS, primary_mean
from skinlab.errors import InvalidInput
from skinlab.settings import Settings

FROZEN_DIR = "frozen_eval"
LABEL_COLUMN = "__label__"
PROPENSITY_SPEC: dict[str, Any] = {"users": 40_000, "seed": 6_060_606}
SKIN_SPEC: dict[str, Any] = {
    "photos": "synthetic-test",
    "sources": 2,
    "tones": [55.0, 25.0, -5.0, -35.0],
    "severities": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0],
    "seed": 7,
}


class FrozenSetMismatch(InvalidInput):
    code = "FROZEN_SET_MISMATCH"
    message = "The model expects inputs the frozen evaluation set does not have."
    message_zh = "模型所需的输入在冻结评估集中不存在。"


@dataclass(frozen=True)
class FrozenSet:
    """A cached evaluation set: what it is, its content hash and how many cases it holds."""

    model_type: str
    spec: dict[str, Any]
    fingerprint: str
    size: int
    path: Path

    def describe(self) -> dict[str, Any]:
        """Name, fingerprint, size and spec (recorded with every comparison)."""
        return {"fingerprint": self.fingerprint, "size": self.size, "spec": self.spec}


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(part)
    return sha.hexdigest()


def _cache_path(settings: Settings, model_type: str, spec: dict[str, Any], suffix: str) -> Path:
    key = _digest(json.dumps(spec, sort_keys=True).encode())[:12]
    return settings.data_dir / FROZEN_DIR / f"{model_type}-{key}{suffix}"


def _write_atomic(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    write(partial)
    os.replace(partial, path)


def propensity_set(settings: Settings) -> tuple[FrozenSet, pd.DataFrame, NDArray[np.int8]]:
    """The frozen propensity snapshot: features ``(n_users, n_features)`` and 0/1 labels."""
    from training.propensity_config import PropensityConfig

    config = PropensityConfig.load()
    spec = {
        **PROPENSITY_SPEC,
        "as_of": config.test_as_of.isoformat(),
        "horizon_days": config.horizon_days,
    }
    path = _cache_path(settings, "propensity", spec, ".parquet")
    if not path.is_file():
        from training.propensity_data import card_snapshot
        from training.propensity_pipeline import simulated_events

        brand = PropensityConfig.load(simulated_users=spec["users"], seed=spec["seed"])
        snapshot = card_snapshot(simulated_events(brand), config.test_moment, config.horizon_days)
        frame = snapshot.features.assign(**{LABEL_COLUMN: snapshot.labels})
        _write_atomic(path, lambda target: frame.to_parquet(target))
    frame = pd.read_parquet(path)
    labels = frame.pop(LABEL_COLUMN).to_numpy(np.int8)
    matrix = np.ascontiguousarray(frame.to_numpy(np.float32))
    fingerprint = _digest(
        json.dumps(list(frame.columns)).encode(), matrix.tobytes(), labels.tobytes()
    )
    return FrozenSet("propensity", spec, fingerprint, len(labels), path), frame, labels


def score_propensity(
    folder: Path, features: pd.DataFrame, labels: NDArray[np.int8]
) -> dict[str, Any]:
    """ROC AUC, ECE (gated) plus PR AUC, lift at 10 % and Brier of an artifacts folder."""
    import onnxruntime as ort

    from models.propensity_calibration import apply_calibration
    from training.propensity_export import (
        CALIBRATOR_FILE,
        MANIFEST_FILE,
        ONNX_FILE,
        onnx_probability,
    )
    from training.propensity_metrics import expected_calibration_error, ranking_metrics

    manifest = json.loads((folder / MANIFEST_FILE).read_text("utf-8"))
    names = [feature["name"] for feature in manifest["features"]]
    missing = sorted(set(names) - set(features.columns))
    if missing:
        raise FrozenSetMismatch(
            f"The frozen propensity set lacks {len(missing)} features the model uses: "
            f"{', '.join(missing[:5])}",
            details={"missing": missing},
        )
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the converter declares the label output as shape (1)
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(
        str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
    )
    raw = onnx_probability(session, features[names].to_numpy(np.float32))
    calibrator = json.loads((folder / CALIBRATOR_FILE).read_text("utf-8"))
    probability = apply_calibration(calibrator, raw)
    ranking = ranking_metrics(labels, probability)
    return {
        "roc_auc": ranking["roc_auc"],
        "ece": expected_calibration_error(labels, probability),
        "pr_auc": ranking["pr_auc"],
        "lift_top10": ranking["lift_top10"],
        "brier": float(np.mean((probability - labels) ** 2)),
    }


def skin_set(
    settings: Settings, spec: dict[str, Any] | None = None
) -> tuple[FrozenSet, dict[str, NDArray[Any]]]:
    """The frozen severity sweep: region feature rows and, per painted face, what was painted.

    Returns arrays ``features (n_rows, n_features)``, ``point`` and ``region`` per row, and
    ``concern``, ``severity``, ``ita``, ``source``, ``label`` per painted face. ``spec``
    replaces ``SKIN_SPEC`` (tests use a smaller sweep; the gate always uses the default).
    """
    spec = spec or SKIN_SPEC
    path = _cache_path(settings, "skin-heads", spec, ".npz")
    if not path.is_file():
        arrays = _build_skin_sweep(settings, spec)
        _write_atomic(path, lambda target: _save_npz(target, arrays))
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    fingerprint = _digest(*(arrays[k].tobytes() for k in sorted(arrays)))
    size = len(arrays["label"])
    return FrozenSet("skin-heads", spec, fingerprint, size, path), arrays


def _save_npz(path: Path, arrays: dict[str, NDArray[Any]]) -> None:
    with path.open("wb") as out:  # a file object, so numpy does not append ".npz" to the name
        np.savez(out, **arrays)  # type: ignore[arg-type]  # numpy stubs type allow_pickle as **kwds


def _build_skin_sweep(settings: Settings, spec: dict[str, Any]) -> dict[str, NDArray[Any]]:
    from tqdm import tqdm

    from data.photos import shipped_photos
    from models.measurement import FaceMeasurer
    from training.skin_dataset import SampleSpec, prepare_sources, render

    measurer = FaceMeasurer(settings.models_dir)
    sources = [
        s
        for s in prepare_sources(measurer, shipped_photos(spec["photos"]))
        if not s.name.endswith("-mirror")
    ][: spec["sources"]]
    grid = [
        (index, ita, concern, severity)
        for index in range(len(sources))
        for ita in spec["tones"]
        for concern in CONCERNS
        for severity in spec["severities"]
    ]
    rows: list[NDArray[np.float32]] = []
    point: list[int] = []
    region: list[str] = []
    painted: list[tuple[int, float, float, int, float]] = []
    bar = tqdm(grid, desc="frozen skin set", file=sys.stderr, disable=None)  # terminals only
    for index, ita, concern, severity in bar:
        sample = SampleSpec(
            seed=spec["seed"] + index, source=index, ita_deg=ita, severities={concern: severity}
        )
        image, labels = render(sample, sources[index])
        measurement = measurer.measure(image)
        if measurement.features is None:
            continue
        rows.append(measurement.features)
        point.extend([len(painted)] * len(measurement.regions))
        region.extend(measurement.regions)
        label = primary_mean(labels[concern], concern)
        painted.append((CONCERNS.index(concern), severity, ita, index, label))
    table = np.asarray(painted, dtype=np.float64)
    return {
        "features": np.concatenate(rows).astype(np.float32),
        "point": np.asarray(point, dtype=np.int64),
        "region": np.asarray(region, dtype=str),
        "concern": table[:, 0].astype(np.int64),
        "severity": table[:, 1],
        "ita": table[:, 2],
        "source": table[:, 3].astype(np.int64),
        "label": table[:, 4],
    }


def score_skin(folder: Path, arrays: dict[str, NDArray[Any]]) -> dict[str, Any]:
    """Within-face Spearman ρ and MAE vs painted severity (gated), and both per concern."""
    from models.heads import SkinHeads
    from training.skin_eval import SweepPoint, summarise_sweep

    predictions = SkinHeads(folder).predict(arrays["features"])
    order = np.argsort(arrays["point"], kind="stable")
    starts = np.searchsorted(arrays["point"][order], np.arange(len(arrays["label"]) + 1))
    points: list[SweepPoint] = []
    for index in range(len(arrays["label"])):
        rows = order[starts[index] : starts[index + 1]]
        concern = CONCERNS[int(arrays["concern"][index])]
        per_region = {
            str(arrays["region"][row]): round(float(predictions[concern][row]), 1) for row in rows
        }
        points.append(
            SweepPoint(
                concern=concern,
                severity=float(arrays["severity"][index]),
                ita_deg=float(arrays["ita"][index]),
                source=str(int(arrays["source"][index])),
                label=float(arrays["label"][index]),
                score=round(primary_mean(per_region, concern), 1),  # type: ignore[arg-type]
            )
        )
    with warnings.catch_warnings():
        # A head that gives every painted severity the same score has no rank order: scipy
        # warns and returns NaN, which the mean skips and the gate treats as a failure.
        warnings.filterwarnings("ignore", message=".*input array is constant.*")
        warnings.filterwarnings("ignore", message="Mean of empty slice", category=RuntimeWarning)
        summary = summarise_sweep(points)
        within = float(np.nanmean([summary[c]["spearman_within_face"] for c in CONCERNS]))
    error = np.mean([abs(p.score - p.label) for p in points])
    return {
        "spearman_within_face": within,
        "mae": float(error),
        "per_concern": summary,
    }


def score(
    settings: Settings, model_type: str, folders: list[Path]
) -> tuple[FrozenSet, list[dict[str, Any]]]:
    """The frozen set of ``model_type`` and the metrics of each artifacts folder on it."""
    if model_type == "propensity":
        frozen_set, features, labels = propensity_set(settings)
        return frozen_set, [score_propensity(f, features, labels) for f in folders]
    sweep, arrays = skin_set(settings)
    return sweep, [score_skin(f, arrays) for f in folders]
