"""The real face photos shipped in ``data/faces`` and their roles (see SOURCES.yaml)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from numpy.typing import NDArray
from PIL import Image

FACES_DIR = Path(__file__).resolve().parent / "faces"


def shipped_photos(use: str) -> list[Path]:
    """Paths of the shipped photos whose ``use`` in SOURCES.yaml equals ``use``.

    Parameters
    ----------
    use : str
        For example ``synthetic-train``, ``synthetic-test`` or ``quality-no-face``; a photo
        may have several uses (a list in SOURCES.yaml).
    """
    sources = yaml.safe_load((FACES_DIR / "SOURCES.yaml").read_text(encoding="utf-8"))
    return [FACES_DIR / entry["file"] for entry in sources["photos"] if use in _uses(entry["use"])]


def _uses(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def load_rgb(path: Path) -> NDArray[np.uint8]:
    """A trusted local photo as an 8-bit RGB array (uploads go through ``data.images``)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
