"""Plots of a propensity run on its held-out period, as PNG files for MLflow.

- ``calibration_and_lift.png``: calibration curve (equal-count deciles) and cumulative capture
  of every model;
- ``score_distribution.png``: the calibrated probability of buyers and non-buyers;
- ``confusion_top10.png``: the confusion matrix when the top 10 % by score are called (the
  operating point the issue's lift target is set at);
- ``feature_importance.png``: LightGBM total gain, top 20 features.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from training._figures import plt, save_figure
from training.propensity_pipeline import PropensityResult

OPERATING_FRACTION = 0.10
PROPENSITY_PLOTS = (
    "calibration_and_lift.png",
    "score_distribution.png",
    "confusion_top10.png",
    "feature_importance.png",
)


def top_fraction_confusion(
    labels: NDArray[Any], scores: NDArray[np.float64], fraction: float = OPERATING_FRACTION
) -> tuple[NDArray[np.int64], float]:
    """Confusion matrix ``[[TN, FP], [FN, TP]]`` when the top ``fraction`` by score are called,
    and the score at the cut (ties broken by a stable sort, as the lift metrics do)."""
    order = np.argsort(-scores, kind="stable")
    called = np.zeros(len(scores), dtype=bool)
    called[order[: max(1, round(fraction * len(scores)))]] = True
    y = np.asarray(labels).astype(bool)
    matrix = np.array(
        [[np.sum(~y & ~called), np.sum(~y & called)], [np.sum(y & ~called), np.sum(y & called)]],
        dtype=np.int64,
    )
    return matrix, float(scores[order[int(called.sum()) - 1]])


def _calibration_and_lift(result: PropensityResult, path: Path) -> Path:
    metrics, curves = result.run.metrics, result.run.curves
    calibration = metrics["lightgbm"]["calibration_curve"]
    fig, (cal_ax, lift_ax) = plt.subplots(1, 2, figsize=(11, 4))
    top = max(max(calibration["predicted"]), max(calibration["observed"]))
    cal_ax.plot([0, top], [0, top], "k--", label="perfect")
    cal_ax.plot(calibration["predicted"], calibration["observed"], "o-", label="LightGBM")
    cal_ax.set_xlabel("predicted probability (decile mean)")
    cal_ax.set_ylabel("observed rate")
    cal_ax.set_title(f"Calibration, held-out period (ECE {metrics['lightgbm']['ece']:.4f})")
    cal_ax.legend()
    for name, curve in curves.items():
        lift_ax.plot(curve["fraction"], curve["capture"], label=name)
    lift_ax.plot([0, 1], [0, 1], "k--", label="random")
    lift_ax.set_xlabel("share of users called (top by score)")
    lift_ax.set_ylabel("share of buyers captured")
    lift_ax.set_title("Cumulative capture (gains)")
    lift_ax.legend()
    return save_figure(fig, path)


def _score_distribution(labels: NDArray[Any], scores: NDArray[np.float64], path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    low = max(float(scores.min()), 1e-6)
    bins = np.logspace(np.log10(low), np.log10(max(float(scores.max()), low * 10)), 40).tolist()
    y = np.asarray(labels).astype(bool)
    for mask, name in ((~y, "did not buy"), (y, "bought a card")):
        share = np.full(int(mask.sum()), 1.0 / max(int(mask.sum()), 1))  # each group sums to 1
        ax.hist(np.clip(scores[mask], low, None), bins=bins, weights=share, alpha=0.6, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("calibrated probability (log scale)")
    ax.set_ylabel("share of the group")
    ax.set_title(f"Held-out scores: {int(y.sum())} buyers, {int((~y).sum())} non-buyers")
    ax.legend()
    return save_figure(fig, path)


def _confusion(labels: NDArray[Any], scores: NDArray[np.float64], path: Path) -> Path:
    matrix, cut = top_fraction_confusion(labels, scores)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(matrix / matrix.sum(axis=1, keepdims=True), cmap="Blues", vmin=0, vmax=1)
    for (row, column), count in np.ndenumerate(matrix):
        share = count / max(matrix[row].sum(), 1)
        ax.text(column, row, f"{count:,}\n({share:.1%} of row)", ha="center", va="center")
    ax.set_xticks([0, 1], ["not called", "called"])
    ax.set_yticks([0, 1], ["did not buy", "bought"])
    precision = matrix[1, 1] / max(matrix[:, 1].sum(), 1)
    recall = matrix[1, 1] / max(matrix[1].sum(), 1)
    ax.set_title(
        f"Top {OPERATING_FRACTION:.0%} called (p ≥ {cut:.4f}): "
        f"precision {precision:.3f}, recall {recall:.3f}",
        fontsize=10,
    )
    return save_figure(fig, path)


def _importance(result: PropensityResult, path: Path) -> Path:
    fitted = result.run.fitted
    gain = fitted.model.booster_.feature_importance(importance_type="gain")
    order = np.argsort(gain)[::-1][:20][::-1]
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.barh([fitted.feature_names[i] for i in order], gain[order], color="#3b7dd8")
    ax.set_title("LightGBM feature importance (total gain, top 20)")
    return save_figure(fig, path)


def plot_run(result: PropensityResult, folder: Path) -> list[Path]:
    """Every plot of ``PROPENSITY_PLOTS`` for ``result``, written into ``folder``."""
    test = result.run.test
    labels = np.asarray(test.labels)
    scores = result.run.fitted.probability(test.features)
    return [
        _calibration_and_lift(result, folder / PROPENSITY_PLOTS[0]),
        _score_distribution(labels, scores, folder / PROPENSITY_PLOTS[1]),
        _confusion(labels, scores, folder / PROPENSITY_PLOTS[2]),
        _importance(result, folder / PROPENSITY_PLOTS[3]),
    ]
