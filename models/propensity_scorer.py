"""The shipped monthly-card propensity model at serving time: ONNX, calibrator and reasons.

``training.propensity_export`` writes a folder with ``propensity.onnx`` (the uncalibrated
LightGBM probability), ``calibrator.json``, ``lightgbm.txt`` (kept for the per-user reasons,
which need LightGBM's ``pred_contrib``) and ``manifest.json`` (version and feature names).
:class:`PropensityScorer` loads them once and checks they belong together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import onnxruntime as ort
import pandas as pd

from models.propensity_calibration import apply_calibration
from models.propensity_reasons import top_reasons
from skinlab.errors import ModelUnavailable

ONNX_FILE = "propensity.onnx"
CALIBRATOR_FILE = "calibrator.json"
LIGHTGBM_FILE = "lightgbm.txt"
MANIFEST_FILE = "manifest.json"
INPUT_NAME = "features"
PROBABILITIES_OUTPUT = "probabilities"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelUnavailable(f"Cannot read {path}: {error}") from error
    if not isinstance(document, dict):
        raise ModelUnavailable(f"{path} does not hold a JSON object")
    return document


class PropensityScorer:
    """Calibrated card-upgrade probabilities and their reasons for a feature frame.

    Parameters
    ----------
    folder : Path
        A folder written by ``skinlab train propensity`` (or the shipped one).
    threads : int
        onnxruntime threads: 1 for request paths (requests already run in parallel), more for
        batch scoring.

    Raises
    ------
    ModelUnavailable
        If a file is missing or unreadable, or the ONNX input does not take the manifest's
        features.
    """

    def __init__(self, folder: Path, *, threads: int = 1) -> None:
        for name in (ONNX_FILE, CALIBRATOR_FILE, LIGHTGBM_FILE, MANIFEST_FILE):
            if not (folder / name).is_file():
                raise ModelUnavailable(
                    f"{folder / name} is missing; run `skinlab train propensity`."
                )
        self.manifest = _read_json(folder / MANIFEST_FILE)
        self.calibrator = _read_json(folder / CALIBRATOR_FILE)
        self.feature_names: list[str] = [f["name"] for f in self.manifest.get("features", [])]
        self.version = str(self.manifest.get("version", "unknown"))
        self.task = str(self.manifest.get("task", "card"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"]
            )
            self._booster = lgb.Booster(model_file=str(folder / LIGHTGBM_FILE))
        except Exception as error:  # onnxruntime and LightGBM raise their own types
            raise ModelUnavailable(
                f"Cannot load the propensity model in {folder}: {error}"
            ) from error
        inputs = [(i.name, i.shape[-1], i.type) for i in self._session.get_inputs()]
        wanted = [(INPUT_NAME, len(self.feature_names), "tensor(float)")]
        if inputs != wanted:
            raise ModelUnavailable(f"{ONNX_FILE} takes {inputs}, the manifest describes {wanted}")
        # LightGBM was fitted on a bare matrix, so its own names are Column_i: compare counts.
        if self._booster.num_feature() != len(self.feature_names):
            raise ModelUnavailable(f"{LIGHTGBM_FILE} and {MANIFEST_FILE} disagree on the features")
        self.folder = folder

    def matrix(self, features: pd.DataFrame) -> np.ndarray:
        """The model's columns of ``features`` as float32, shape ``(n_users, n_features)``."""
        missing = [name for name in self.feature_names if name not in features.columns]
        if missing:
            raise ValueError(f"features lack the model's columns {missing[:5]}")
        return np.ascontiguousarray(features[self.feature_names].to_numpy(np.float32))

    def raw_probability(self, features: pd.DataFrame) -> np.ndarray:
        """Uncalibrated probabilities from onnxruntime, shape ``(n_users,)``."""
        if len(features) == 0:
            return np.zeros(0)
        outputs = self._session.run([PROBABILITIES_OUTPUT], {INPUT_NAME: self.matrix(features)})
        return np.asarray(outputs[0], dtype=np.float64)[:, 1]

    def probability(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of buying a card within the model's horizon."""
        return apply_calibration(self.calibrator, self.raw_probability(features))

    def reasons(self, features: pd.DataFrame, k: int = 3) -> list[list[dict[str, Any]]]:
        """The ``k`` factors raising each user's score most (LightGBM ``pred_contrib``)."""
        if len(features) == 0:
            return []
        matrix = self.matrix(features)
        contributions = self._booster.predict(matrix, pred_contrib=True)
        return top_reasons(np.asarray(contributions), matrix, self.feature_names, k)

    @property
    def horizon_days(self) -> int:
        return int(self.manifest.get("config", {}).get("horizon_days", 90))
