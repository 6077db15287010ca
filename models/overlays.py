"""Heatmaps of each concern over the aligned face, as base64 PNGs for the BA page."""

from __future__ import annotations

import base64

import cv2
import numpy as np
from numpy.typing import NDArray

from data.vocabulary import CONCERNS, PRIMARY_REGIONS, Concern, Region
from models.measures import FaceMaps


def _response(maps: FaceMaps, concern: Concern) -> NDArray[np.float32]:
    """The per-pixel response behind a concern, scaled so that 1.0 is strong."""
    lab = maps.lab
    face_l, face_a, _ = maps.face_lab
    responses: dict[Concern, NDArray[np.float32]] = {
        "redness": (lab[..., 1] - face_a) / 12.0,
        "spots": -maps.spot / 8.0,
        "wrinkles": maps.ridge_fine / 3.0,
        "pores": -maps.pore / 4.0,
        "acne": maps.acne / 10.0,
        "oiliness": (lab[..., 0] - face_l) / 20.0,
        "dark_circles": (face_l - lab[..., 0]) / 15.0,
        "texture": np.abs(maps.band).astype(np.float32) / 6.0,
    }
    return np.asarray(np.clip(responses[concern], 0.0, 1.0), dtype=np.float32)


def _png(image: NDArray[np.uint8]) -> str:
    ok, buffer = cv2.imencode(".png", image)
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGRA image
        raise RuntimeError("PNG encoding failed")
    return base64.b64encode(buffer.tobytes()).decode("ascii")


def render_overlays(
    aligned_rgb: NDArray[np.uint8], maps: FaceMaps, masks: dict[Region, NDArray[np.bool_]]
) -> dict[str, str]:
    """The aligned face (key ``face``) and one transparent heatmap per concern, same size.

    Parameters
    ----------
    aligned_rgb : ndarray of shape (size, size, 3), uint8
    maps : FaceMaps
    masks : dict of Region to ndarray of shape (size, size), bool

    Returns
    -------
    dict of str to str
        Base64 PNGs; heatmaps are BGRA with the response as opacity.
    """
    bgr = np.asarray(cv2.cvtColor(aligned_rgb, cv2.COLOR_RGB2BGR), dtype=np.uint8)
    overlays = {"face": _png(bgr)}
    for concern in CONCERNS:
        area = np.zeros(aligned_rgb.shape[:2], dtype=bool)
        for region in PRIMARY_REGIONS[concern]:
            if region in masks:
                area |= masks[region]
        strength = np.asarray(cv2.GaussianBlur(_response(maps, concern) * area, (0, 0), 1.5))
        heat = (strength * 255).astype(np.uint8)
        colour = np.asarray(cv2.applyColorMap(heat, cv2.COLORMAP_INFERNO), dtype=np.uint8)
        alpha = (np.clip(strength * 1.5, 0, 1) * 200).astype(np.uint8)
        overlays[concern] = _png(np.dstack([colour, alpha]))
    return overlays
