"""Probability calibration of a propensity score, fitted with scikit-learn, applied in numpy.

The fitted map is exported as plain numbers (``to_dict``) so the server applies it after the
ONNX model without scikit-learn: isotonic as a piecewise-linear interpolation of its
thresholds, sigmoid (Platt) as ``1 / (1 + exp(-(a * logit(p) + b)))``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

Method = Literal["isotonic", "sigmoid"]
_EPS = 1e-7


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.asarray(np.log(p / (1 - p)))


class Calibrator:
    """Maps raw model probabilities to calibrated ones; ``method`` is isotonic or sigmoid."""

    def __init__(self, method: Method = "isotonic") -> None:
        self.method = method

    def fit(self, raw: np.ndarray, y: np.ndarray) -> Calibrator:
        if self.method not in ("isotonic", "sigmoid"):
            raise ValueError(f"method must be 'isotonic' or 'sigmoid', not {self.method!r}")
        if self.method == "isotonic":
            iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
            self.x_ = np.asarray(iso.X_thresholds_, dtype=np.float64)
            self.y_ = np.asarray(iso.y_thresholds_, dtype=np.float64)
        else:
            platt = LogisticRegression(C=1e6).fit(_logit(raw)[:, None], y)
            self.x_ = np.array([float(platt.coef_[0, 0])])
            self.y_ = np.array([float(platt.intercept_[0])])
        return self

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities, shape ``(n_samples,)``."""
        if not hasattr(self, "x_"):
            raise RuntimeError("Calibrator is not fitted; call fit first")
        return apply_calibration(self.to_dict(), raw)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "x": self.x_.tolist(), "y": self.y_.tolist()}


def apply_calibration(spec: dict[str, Any], raw: np.ndarray) -> np.ndarray:
    """Apply an exported calibrator (:meth:`Calibrator.to_dict`) to raw probabilities."""
    raw = np.asarray(raw, dtype=np.float64)
    if spec["method"] == "isotonic":
        return np.asarray(np.interp(raw, spec["x"], spec["y"]))
    slope, intercept = spec["x"][0], spec["y"][0]
    return np.asarray(1 / (1 + np.exp(-(slope * _logit(raw) + intercept))))
