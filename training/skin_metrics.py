"""Face-level metrics of the skin heads: rank agreement, error, and error by skin tone."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import spearmanr

from data.vocabulary import CONCERNS, primary_mean
from training.skin_dataset import SkinTable

# ITA° bounds of the lightest and darkest groups compared for fairness (very light/light vs
# brown/dark in the published categories).
LIGHT_ITA = 41.0
DARK_ITA = 10.0


def face_level(
    table: SkinTable, predictions: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Per-sample face labels and scores, each the ``primary_mean`` of its region rows.

    Returns
    -------
    labels, scores : ndarray of shape (n_samples, n_concerns)
    ita : ndarray of shape (n_samples,)
    """
    samples = np.unique(table.sample)
    labels = np.zeros((samples.size, len(CONCERNS)), dtype=np.float32)
    scores = np.zeros_like(labels)
    ita = np.zeros(samples.size, dtype=np.float32)
    regions = np.asarray(table.regions)
    for row, sample in enumerate(samples):
        rows = table.sample == sample
        ita[row] = table.ita_deg[rows][0]
        names = regions[rows]
        for column, concern in enumerate(CONCERNS):
            truth = dict(zip(names, table.labels[rows, column], strict=True))
            guess = dict(zip(names, predictions[rows, column], strict=True))
            labels[row, column] = primary_mean(truth, concern)
            scores[row, column] = primary_mean(guess, concern)
    return labels, scores, ita


def evaluate_faces(table: SkinTable, predictions: NDArray[np.float32]) -> dict[str, Any]:
    """Spearman ρ, mean absolute error, and MAE in the lightest vs darkest ITA groups.

    Parameters
    ----------
    table : SkinTable
        Held-out rows with their labels.
    predictions : ndarray of shape (n_rows, n_concerns)

    Returns
    -------
    dict
        ``{concern: {"spearman", "mae", "mae_light", "mae_dark", "tone_gap"}}`` plus counts.
    """
    labels, scores, ita = face_level(table, predictions)
    light, dark = ita > LIGHT_ITA, ita <= DARK_ITA
    out: dict[str, Any] = {"n_faces": int(labels.shape[0])}
    for column, concern in enumerate(CONCERNS):
        error = np.abs(labels[:, column] - scores[:, column])
        rho = spearmanr(labels[:, column], scores[:, column]).statistic
        mae_light = float(error[light].mean()) if light.any() else float("nan")
        mae_dark = float(error[dark].mean()) if dark.any() else float("nan")
        out[concern] = {
            "spearman": round(float(rho), 4),
            "mae": round(float(error.mean()), 3),
            "mae_light": round(mae_light, 3),
            "mae_dark": round(mae_dark, 3),
            "tone_gap": round(abs(mae_dark - mae_light) / max(min(mae_light, mae_dark), 1e-6), 3),
        }
    return out
