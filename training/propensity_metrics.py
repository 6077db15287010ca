"""Ranking and calibration metrics of a propensity score on one held-out period."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

TOP_FRACTIONS = (0.05, 0.10, 0.20)


def _best_first(score: np.ndarray) -> np.ndarray:
    return np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")


def lift_and_capture(
    y: np.ndarray, score: np.ndarray, fraction: float, order: np.ndarray | None = None
) -> tuple[float, float]:
    """Lift (positive rate in the top ``fraction`` over the base rate) and capture (share of
    all positives found there). Ties at the cut are broken by a stable sort, so a constant score
    gets the base rate (lift 1). ``order`` is the score's best-first order, if already sorted.
    """
    y = np.asarray(y, dtype=np.float64)
    k = max(1, round(fraction * len(y)))
    top = (_best_first(score) if order is None else order)[:k]
    positives = y.sum()
    if positives == 0:
        return float("nan"), float("nan")
    return float(y[top].mean() / y.mean()), float(y[top].sum() / positives)


def calibration_curve(
    y: np.ndarray, probability: np.ndarray, bins: int = 10
) -> dict[str, list[float]]:
    """Mean predicted vs observed rate in equal-count bins of the predicted probability.

    Equal-count bins because nearly all users sit below a few percent: fixed-width bins would put
    them all in the first one.
    """
    order = np.argsort(probability, kind="stable")
    groups = [g for g in np.array_split(order, bins) if len(g)]
    return {
        "predicted": [float(probability[g].mean()) for g in groups],
        "observed": [float(y[g].mean()) for g in groups],
        "count": [float(len(g)) for g in groups],
    }


def expected_calibration_error(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """ECE: the count-weighted mean |observed - predicted| over equal-count bins."""
    return _ece(calibration_curve(y, probability, bins))


def _ece(curve: dict[str, list[float]]) -> float:
    counts = np.asarray(curve["count"])
    gaps = np.abs(np.asarray(curve["observed"]) - np.asarray(curve["predicted"]))
    return float(np.sum(counts * gaps) / counts.sum())


def ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, and lift and capture at the top 5/10/20%."""
    y = np.asarray(y, dtype=np.int64)
    out = {
        "roc_auc": float(roc_auc_score(y, score)),
        "pr_auc": float(average_precision_score(y, score)),
    }
    order = _best_first(score)
    for fraction in TOP_FRACTIONS:
        lift, capture = lift_and_capture(y, score, fraction, order)
        pct = round(fraction * 100)
        out[f"lift_top{pct}"] = lift
        out[f"capture_top{pct}"] = capture
    return out


def probability_metrics(y: np.ndarray, probability: np.ndarray) -> dict[str, Any]:
    """Ranking metrics plus Brier score, ECE and the calibration curve of a probability."""
    out: dict[str, Any] = ranking_metrics(y, probability)
    out["brier"] = float(brier_score_loss(y, probability))
    curve = calibration_curve(y, probability)
    out["ece"] = _ece(curve)
    out["mean_predicted"] = float(np.mean(probability))
    out["base_rate"] = float(np.mean(y))
    out["calibration_curve"] = curve
    return out


def lift_curve(y: np.ndarray, score: np.ndarray, points: int = 20) -> dict[str, list[float]]:
    """Cumulative capture and lift at top 5%, 10%, ... 100% (for the lift plot)."""
    fractions = np.linspace(1 / points, 1.0, points)
    order = _best_first(score)
    pairs = [lift_and_capture(y, score, float(f), order) for f in fractions]
    return {
        "fraction": [float(f) for f in fractions],
        "lift": [p[0] for p in pairs],
        "capture": [p[1] for p in pairs],
    }
