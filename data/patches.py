"""Procedural skin patches: face-free skin of a chosen tone, for measurement unit tests.

A patch is a flat CIELAB colour with the ITA° asked for, plus low-frequency shading and fine
grain so that filters see something skin-like. Regions are fixed rectangles.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from data.synth import lab_to_rgb
from data.vocabulary import REGIONS, Region


def skin_patch(
    size: int, ita_deg: float, rng: np.random.Generator, *, yellowness: float = 18.0
) -> NDArray[np.uint8]:
    """A square RGB skin patch whose median colour has the given ITA°."""
    lightness = float(np.clip(50.0 + yellowness * np.tan(np.radians(ita_deg)), 20.0, 85.0))
    lab = np.empty((size, size, 3), dtype=np.float32)
    noise = rng.standard_normal((size, size)).astype(np.float32)
    shading = np.asarray(cv2.GaussianBlur(noise, (0, 0), size / 8), dtype=np.float32)
    shading /= max(float(np.abs(shading).max()), 1e-6)
    grain = rng.standard_normal((size, size)).astype(np.float32) * 0.6
    lab[..., 0] = lightness + 2.0 * shading + grain
    lab[..., 1] = 12.0 + 0.8 * shading
    lab[..., 2] = yellowness + 0.5 * shading
    return lab_to_rgb(lab)


def patch_regions(size: int) -> dict[Region, NDArray[np.bool_]]:
    """Fixed rectangular stand-ins for the seven face regions on a square patch."""
    boxes: dict[Region, tuple[float, float, float, float]] = {
        "forehead": (0.2, 0.05, 0.8, 0.25),
        "left_cheek": (0.62, 0.45, 0.92, 0.75),
        "right_cheek": (0.08, 0.45, 0.38, 0.75),
        "nose": (0.42, 0.35, 0.58, 0.65),
        "chin": (0.35, 0.8, 0.65, 0.95),
        "left_under_eye": (0.6, 0.3, 0.85, 0.4),
        "right_under_eye": (0.15, 0.3, 0.4, 0.4),
    }
    masks: dict[Region, NDArray[np.bool_]] = {}
    for region in REGIONS:
        x0, y0, x1, y1 = (round(v * size) for v in boxes[region])
        mask = np.zeros((size, size), dtype=bool)
        mask[y0:y1, x0:x1] = True
        masks[region] = mask
    return masks
