"""Plots of the skin heads on their held-out faces, as PNG files for MLflow and the model card.

Every plot is per concern, on face scores (``primary_mean`` of the region scores, as
``/analyze`` reports them) against the painted severity of held-out synthetic faces:

- ``metrics.png``: Spearman ρ, and MAE on light vs dark skin;
- ``calibration.png``: mean painted severity per score decile (a regressor's calibration);
- ``gains.png``: share of faces with the concern present (painted at ``PRESENT`` or more) found
  among the highest-scored faces (a lift curve);
- ``score_distribution.png``: scores of faces with and without the concern;
- ``confusion_severity.png``: painted vs scored severity band (``BAND_NAMES``);
- ``feature_importance.png``: each head's share of total gain per measurement;
- ``per_tone_error.png``: MAE per published ITA° tone category (``models.tone``).

The bands are this report's choice (the product shows scores, not bands): none below 15, mild
to 40, moderate to 70, severe above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from data.vocabulary import CONCERNS
from models.region_stats import FEATURE_NAMES
from models.tone import tone_category
from training._figures import plt, save_figure

BAND_EDGES = (15.0, 40.0, 70.0)
BAND_NAMES = ("none", "mild", "moderate", "severe")
PRESENT = BAND_EDGES[0]
TONES = ("very_light", "light", "intermediate", "tan", "brown", "dark")
SKIN_PLOTS = (
    "metrics.png",
    "calibration.png",
    "gains.png",
    "score_distribution.png",
    "confusion_severity.png",
    "feature_importance.png",
    "per_tone_error.png",
)


@dataclass(frozen=True)
class HeldOutFaces:
    """Painted severities and face scores ``(n_faces, n_concerns)``, and each face's ITA°."""

    labels: NDArray[np.float32]
    scores: NDArray[np.float32]
    ita: NDArray[np.float32]


def severity_band(values: NDArray[Any]) -> NDArray[np.int64]:
    """Index into ``BAND_NAMES`` of each 0-100 value."""
    return np.searchsorted(np.asarray(BAND_EDGES), np.asarray(values), side="right")


def _per_concern(
    faces: HeldOutFaces, title: str, draw: Callable[[Axes, NDArray[Any], NDArray[Any]], None]
) -> Figure:
    fig, axes = plt.subplots(2, 4, figsize=(16, 7.5))
    for axis, (column, concern) in zip(axes.ravel(), enumerate(CONCERNS), strict=True):
        draw(axis, faces.labels[:, column], faces.scores[:, column])
        axis.set_title(concern)
    fig.suptitle(f"{title} ({len(faces.ita)} held-out faces)")
    return fig


def plot_metrics(metrics: dict[str, Any], path: Path) -> Path:
    """Bar charts of Spearman ρ and MAE (light vs dark skin) per concern, saved as PNG."""
    fig, (rho_ax, mae_ax) = plt.subplots(1, 2, figsize=(11, 4))
    names = list(CONCERNS)
    rho_ax.bar(names, [metrics[c]["spearman"] for c in names], color="#3b7dd8")
    rho_ax.axhline(0.9, color="red", linestyle="--", label="target 0.9")
    rho_ax.set_ylim(0, 1)
    rho_ax.set_title("Spearman ρ, injected severity vs score (held-out faces)")
    rho_ax.legend()
    positions = range(len(names))
    mae_ax.bar(
        [p - 0.2 for p in positions],
        [metrics[c]["mae_light"] for c in names],
        0.4,
        label="ITA > 41°",
    )
    mae_ax.bar(
        [p + 0.2 for p in positions],
        [metrics[c]["mae_dark"] for c in names],
        0.4,
        label="ITA ≤ 10°",
    )
    mae_ax.set_xticks(list(positions), names)
    mae_ax.set_title("Mean absolute error by skin tone")
    mae_ax.legend()
    for axis in (rho_ax, mae_ax):
        axis.tick_params(axis="x", rotation=45)
    return save_figure(fig, path)


def _calibration(axis: Axes, labels: NDArray[Any], scores: NDArray[Any]) -> None:
    order = np.argsort(scores, kind="stable")
    groups = [g for g in np.array_split(order, min(10, len(order))) if len(g)]
    axis.plot([0, 100], [0, 100], "k--", linewidth=1)
    axis.plot([scores[g].mean() for g in groups], [labels[g].mean() for g in groups], "o-")
    axis.set(xlim=(0, 100), ylim=(0, 100), xlabel="score (decile mean)", ylabel="painted")


def _gains(axis: Axes, labels: NDArray[Any], scores: NDArray[Any]) -> None:
    present = labels[np.argsort(-scores, kind="stable")] >= PRESENT
    axis.plot([0, 1], [0, 1], "k--", linewidth=1)
    if present.any():
        share = np.arange(1, len(present) + 1) / len(present)
        axis.plot(np.r_[0, share], np.r_[0, np.cumsum(present) / present.sum()])
    else:
        axis.text(0.5, 0.5, "no face with the concern", ha="center")
    axis.set(xlabel="share of faces, highest score first", ylabel="share with the concern found")


def _distribution(axis: Axes, labels: NDArray[Any], scores: NDArray[Any]) -> None:
    bins = np.linspace(0, 100, 21).tolist()
    for mask, name in ((labels < PRESENT, "not painted"), (labels >= PRESENT, "painted ≥ 15")):
        if mask.any():
            axis.hist(scores[mask], bins=bins, alpha=0.6, label=f"{name} ({int(mask.sum())})")
    axis.set(xlabel="face score", ylabel="faces")
    axis.legend(fontsize=8)


def _confusion(axis: Axes, labels: NDArray[Any], scores: NDArray[Any]) -> None:
    matrix = np.zeros((len(BAND_NAMES), len(BAND_NAMES)), dtype=np.int64)
    np.add.at(matrix, (severity_band(labels), severity_band(scores)), 1)
    rows = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    axis.imshow(matrix / rows, cmap="Blues", vmin=0, vmax=1)
    for (row, column), count in np.ndenumerate(matrix):
        axis.text(column, row, str(count), ha="center", va="center", fontsize=9)
    ticks = list(range(len(BAND_NAMES)))
    axis.set_xticks(ticks, BAND_NAMES, fontsize=8)
    axis.set_yticks(ticks, BAND_NAMES, fontsize=8)
    axis.set(xlabel="scored", ylabel="painted")


def _importance(importance: dict[str, NDArray[Any]], path: Path) -> Path:
    gains = np.stack([np.asarray(importance[c], dtype=np.float64) for c in CONCERNS], axis=1)
    shares = gains / np.maximum(gains.sum(axis=0, keepdims=True), 1e-12)
    fig, ax = plt.subplots(figsize=(8, 10))
    image = ax.imshow(shares, cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(CONCERNS)), list(CONCERNS), rotation=45, ha="right")
    ax.set_yticks(range(len(FEATURE_NAMES)), list(FEATURE_NAMES), fontsize=8)
    ax.set_title("Feature importance: each head's share of total gain")
    fig.colorbar(image, ax=ax, fraction=0.04)
    return save_figure(fig, path)


def _per_tone(faces: HeldOutFaces, path: Path) -> Path:
    tones = np.array([tone_category(float(ita))[0] for ita in faces.ita])
    error = np.abs(faces.scores - faces.labels)
    present = [t for t in TONES if (tones == t).any()]
    fig, ax = plt.subplots(figsize=(12, 4.5))
    width = 0.8 / max(len(present), 1)
    for index, tone in enumerate(present):
        mae = error[tones == tone].mean(axis=0)
        offsets = np.arange(len(CONCERNS)) + (index - (len(present) - 1) / 2) * width
        ax.bar(offsets, mae, width, label=f"{tone} ({int((tones == tone).sum())} faces)")
    ax.set_xticks(range(len(CONCERNS)), list(CONCERNS))
    ax.set_ylabel("mean absolute error (points)")
    ax.set_title("Error per skin tone (ITA° category of the held-out face)")
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def plot_run(
    metrics: dict[str, Any],
    faces: HeldOutFaces,
    importance: dict[str, NDArray[Any]],
    folder: Path,
) -> list[Path]:
    """Every plot of ``SKIN_PLOTS``, written into ``folder``.

    Parameters
    ----------
    metrics : dict
        :func:`training.skin_metrics.evaluate_faces` of the held-out faces.
    faces : HeldOutFaces
        The held-out faces' painted severities, scores and ITA°.
    importance : dict of concern to ndarray of shape (n_features,)
        Each head's total gain per feature.
    folder : Path
        Where the PNG files go.
    """
    panels = (
        ("Calibration: mean painted severity per score decile", _calibration),
        (f"Gains: faces painted at {PRESENT:g} or more, found by score", _gains),
        ("Score distribution", _distribution),
        ("Severity bands, painted (rows) vs scored (columns)", _confusion),
    )
    written = [plot_metrics(metrics, folder / SKIN_PLOTS[0])]
    for name, (title, draw) in zip(SKIN_PLOTS[1:5], panels, strict=True):
        written.append(save_figure(_per_concern(faces, title, draw), folder / name))
    written.append(_importance(importance, folder / SKIN_PLOTS[5]))
    written.append(_per_tone(faces, folder / SKIN_PLOTS[6]))
    return written
