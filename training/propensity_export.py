"""Export a trained propensity model: ONNX (with a parity check), calibrator, manifest, card.

The ONNX graph gives the *uncalibrated* LightGBM probability; the calibrator is a JSON file
applied after it in numpy (:func:`models.propensity_calibration.apply_calibration`). The
LightGBM text model is shipped too, for the per-user reasons (``pred_contrib``).

Parity: the run fails unless the ONNX graph's probability equals LightGBM's within ``1e-5`` on
every checked row, before and after calibration (:mod:`training.onnx_parity`; the model's
thresholds are float32 numbers since :func:`training.propensity.fit_propensity`, which is what
makes them agree).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType

from models.propensity_calibration import apply_calibration
from models.propensity_reasons import feature_label
from training.drift_reference import REFERENCE_FILE, DriftReference
from training.onnx_parity import parity, require_parity
from training.propensity import FittedPropensity

ONNX_FILE = "propensity.onnx"
CALIBRATOR_FILE = "calibrator.json"
LIGHTGBM_FILE = "lightgbm.txt"
MANIFEST_FILE = "manifest.json"
CARD_FILE = "MODEL_CARD.md"
INPUT_NAME = "features"
PARITY_ROWS = 100_000


def to_onnx(fitted: FittedPropensity) -> bytes:
    """The LightGBM classifier as ONNX: input ``features`` float32 ``(n, n_features)``."""
    n_features = len(fitted.feature_names)
    graph = convert_lightgbm(
        fitted.model,
        name="skinlab-propensity",
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        zipmap=False,
        target_opset=15,
    )
    return bytes(graph.SerializeToString())


def onnx_probability(session: ort.InferenceSession, matrix: np.ndarray) -> np.ndarray:
    """Uncalibrated probability of the positive class from an ONNX session."""
    outputs = session.run(None, {INPUT_NAME: np.ascontiguousarray(matrix, dtype=np.float32)})
    return np.asarray(outputs[1], dtype=np.float64)[:, 1]


def check_parity(fitted: FittedPropensity, onnx_model: bytes, features: Any) -> dict[str, Any]:
    """Compare ONNX + numpy calibration with LightGBM + calibrator on ``features``.

    At most ``PARITY_ROWS`` rows, drawn with a fixed seed: the check is about the conversion,
    which a hundred thousand users exercise as well as a million (and in a tenth of the time).

    Returns
    -------
    dict
        :func:`training.onnx_parity.parity` of the raw probability (``worst_row`` is a user
        id), plus ``max_abs_diff_calibrated``.

    Raises
    ------
    OnnxParityFailed
        When either probability differs by more than ``1e-5`` on any row.
    """
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the converter declares the label output as shape (1)
    session = ort.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])
    if len(features) > PARITY_ROWS:
        rows = np.sort(np.random.default_rng(0).choice(len(features), PARITY_ROWS, replace=False))
        features = features.iloc[rows]
    matrix = np.asarray(features[fitted.feature_names], dtype=np.float32)
    raw_onnx = onnx_probability(session, matrix)
    raw_lgb = fitted.raw_probability(features)
    users = np.asarray(features.index.astype(str))
    report = require_parity(
        parity(raw_lgb, raw_onnx, rows=users), "the propensity model", "倾向模型"
    )
    calibrated = parity(
        fitted.calibrator.transform(raw_lgb),
        apply_calibration(fitted.calibrator.to_dict(), raw_onnx),
        rows=users,
    )
    require_parity(calibrated, "the calibrated propensity model", "校准后的倾向模型")
    return {**report, "max_abs_diff_calibrated": calibrated["max_abs_diff"]}


def _write_atomic(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def write_artifacts(
    directory: Path,
    fitted: FittedPropensity,
    onnx_model: bytes,
    manifest: dict[str, Any],
    reference: DriftReference | None = None,
) -> dict[str, Path]:
    """Write the ONNX model, calibrator, LightGBM text model, manifest and model card.

    With ``reference``, also the training data's summary for drift reports
    (``drift_reference.json``, :mod:`training.drift`).
    """
    directory.mkdir(parents=True, exist_ok=True)
    features = [{"name": n, **feature_label(n)} for n in fitted.feature_names]
    files = {
        ONNX_FILE: onnx_model,
        CALIBRATOR_FILE: json.dumps(fitted.calibrator.to_dict()).encode(),
        LIGHTGBM_FILE: fitted.model.booster_.model_to_string().encode(),
        MANIFEST_FILE: json.dumps(
            {**manifest, "features": features}, ensure_ascii=False, indent=2
        ).encode(),
        CARD_FILE: model_card(manifest).encode(),
    }
    if reference is not None:
        files[REFERENCE_FILE] = json.dumps(
            reference.to_dict(), ensure_ascii=False, indent=1
        ).encode()
    for name, data in files.items():
        _write_atomic(directory / name, data)
    return {name: directory / name for name in files}


def _row(name: str, m: dict[str, Any]) -> str:
    def cell(key: str) -> str:
        return f"{m[key]:.3f}" if key in m else "-"

    keys = ("roc_auc", "pr_auc", "lift_top5", "lift_top10", "lift_top20", "capture_top10")
    return (
        f"| {name} | " + " | ".join(cell(k) for k in keys) + f" | {cell('brier')} | {cell('ece')} |"
    )


def model_card(manifest: dict[str, Any]) -> str:
    """Markdown model card from the manifest's measured numbers."""
    metrics, data = manifest["metrics"], manifest["data"]
    simulated = manifest["trained_on"].startswith("simulated")
    rows = [_row(name, metrics[name]) for name in metrics if name != "targets"]
    targets = [
        f"- {name}: measured {t['measured']}, target {t['target']}, "
        + ("met" if t["met"] else "**not met**")
        for name, t in metrics["targets"].items()
    ]
    onnx_check = manifest["onnx_parity"]
    warning = (
        "**Trained on simulated data only** (`data/simulator.py`, seed "
        f"{manifest['config']['seed']}): the numbers below describe how well the model recovers "
        "the simulator's own rules, not a real brand. Retrain on the brand's events "
        "(`skinlab train propensity --events DIR`) before using it to choose whom to call."
        if simulated
        else f"Trained on {manifest['trained_on']}."
    )
    label = (
        "first monthly-card purchase" if manifest["task"] == "card" else "any order (repurchase)"
    )
    return "\n".join(
        [
            f"# Model card: propensity ({manifest['task']}) {manifest['version']}",
            "",
            warning,
            "",
            f"- Label: {label} within {manifest['config']['horizon_days']} days of the as-of date.",
            f"- Training as-of dates: {', '.join(data['train']['as_of'])} "
            f"({data['train']['rows']:,} rows, {data['train']['positives']:,} positives); "
            f"calibration ({manifest['config']['calibration']}) on "
            f"{data['calibration_rows']:,} rows of held-out users.",
            f"- Held-out period: as of {data['test']['as_of'][0]} "
            f"({data['test']['rows']:,} users, {data['test']['positives']:,} positives, "
            f"base rate {data['test']['base_rate']}).",
            f"- ONNX vs LightGBM: max |diff| {onnx_check['max_abs_diff']:.2g} over "
            f"{onnx_check['rows']:,} held-out users (the run fails above {onnx_check['atol']:g}).",
            f"- Training time: {manifest['seconds']['total']} s.",
            "",
            "| model | ROC AUC | PR AUC | lift@5% | lift@10% | lift@20% | capture@10% "
            "| Brier | ECE |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Targets (issue 5):",
            *targets,
            "",
            "Per-user reasons are the features with the largest positive LightGBM contributions",
            "(`pred_contrib`), named in Chinese and English (`manifest.json` lists every feature).",
            "Current card holders are never scored. Intended use: ordering an EBA call list; not",
            "a decision about any customer on its own.",
            "",
        ]
    )
