"""Matplotlib without a display, and how every training plot is written to disk."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["plt", "save_figure"]


def save_figure(fig: Figure, path: Path) -> Path:
    """Lay out ``fig``, write it to ``path`` as a 100-dpi image, and free it."""
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
