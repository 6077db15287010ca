"""The learned skin heads: one ONNX regressor per concern, run by onnxruntime.

Each head maps a region's measurement row (``models.measures.FEATURE_NAMES``) to a 0-100
severity for that region. The folder holds ``manifest.json`` (version, feature names, training
data, metrics) and ``<concern>.onnx`` for every concern.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from data.vocabulary import CONCERNS, Concern
from models.measures import FEATURE_NAMES
from skinlab.errors import ModelUnavailable

MANIFEST = "manifest.json"


def onnx_session(path: Path) -> ort.InferenceSession:
    """A CPU inference session with one intra-op thread (stable latency on small machines)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class HeadsManifest:
    """What was trained, on what, and how well."""

    version: str
    feature_names: tuple[str, ...]
    concerns: tuple[Concern, ...]
    extra: dict[str, Any]

    @classmethod
    def read(cls, directory: Path) -> HeadsManifest:
        """Read ``manifest.json`` from a heads folder."""
        raw = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return cls(
            version=str(raw["version"]),
            feature_names=tuple(raw["feature_names"]),
            concerns=tuple(raw["concerns"]),
            extra={
                k: v for k, v in raw.items() if k not in {"version", "feature_names", "concerns"}
            },
        )


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` into a heads folder (UTF-8, indented)."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    (directory / MANIFEST).write_text(text, encoding="utf-8")


class SkinHeads:
    """Loads the per-concern ONNX heads once and scores region feature rows.

    Parameters
    ----------
    directory : Path
        Folder with ``manifest.json`` and one ``<concern>.onnx`` per concern.
    """

    def __init__(self, directory: Path) -> None:
        if not (directory / MANIFEST).is_file():
            raise ModelUnavailable(f"No skin heads in {directory}; run `skinlab models ensure`.")
        self.manifest = HeadsManifest.read(directory)
        if self.manifest.feature_names != FEATURE_NAMES:
            raise ModelUnavailable(
                "The skin heads were trained on other measurements than this code computes; "
                "retrain with `skinlab train skin`."
            )
        self.version = self.manifest.version
        self._sessions: dict[Concern, ort.InferenceSession] = {}
        for concern in CONCERNS:
            session = onnx_session(directory / f"{concern}.onnx")
            (model_input,) = session.get_inputs()
            if model_input.type != "tensor(float)" or model_input.shape[-1] != len(FEATURE_NAMES):
                raise ModelUnavailable(
                    f"Head {concern} expects {model_input.type} {model_input.shape}, "
                    f"not float32 (n, {len(FEATURE_NAMES)})."
                )
            self._sessions[concern] = session
        self._input = {c: s.get_inputs()[0].name for c, s in self._sessions.items()}

    def predict(self, features: NDArray[np.float32]) -> dict[Concern, NDArray[np.float32]]:
        """Region scores per concern.

        Parameters
        ----------
        features : ndarray of shape (n_regions, n_features)

        Returns
        -------
        dict of Concern to ndarray of shape (n_regions,)
            Scores clipped to 0-100.
        """
        batch = np.ascontiguousarray(features, dtype=np.float32)
        scores: dict[Concern, NDArray[np.float32]] = {}
        for concern, session in self._sessions.items():
            (raw,) = session.run(None, {self._input[concern]: batch})[:1]
            scores[concern] = np.clip(np.asarray(raw, dtype=np.float32).reshape(-1), 0.0, 100.0)
        return scores
