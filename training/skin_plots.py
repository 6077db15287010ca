"""Plots of the skin heads' held-out metrics, for MLflow and the model card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from data.vocabulary import CONCERNS


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
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
