"""Photographic perturbations: what a phone camera does to the same face between two shots."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Perturbation:
    """A capture change: exposure factor, in-plane rotation, scale and JPEG quality."""

    brightness: float = 1.0
    rotation_deg: float = 0.0
    scale: float = 1.0
    jpeg_quality: int | None = None

    @classmethod
    def sample(cls, rng: np.random.Generator) -> Perturbation:
        """A random capture change in the ranges the skin test must tolerate (and a bit more)."""
        return cls(
            brightness=float(rng.uniform(0.8, 1.2)),
            rotation_deg=float(rng.uniform(-12.0, 12.0)),
            scale=float(rng.uniform(0.75, 1.3)),
            jpeg_quality=int(rng.integers(65, 99)),
        )


def jpeg_roundtrip(rgb: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    """Encode as JPEG at ``quality`` and decode again."""
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:  # pragma: no cover - OpenCV encodes any 8-bit RGB image
        raise RuntimeError("JPEG encoding failed")
    decoded = np.asarray(cv2.imdecode(buffer, cv2.IMREAD_COLOR), dtype=np.uint8)
    return np.asarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def apply_perturbation(rgb: NDArray[np.uint8], change: Perturbation) -> NDArray[np.uint8]:
    """Apply a capture change to a photo.

    Parameters
    ----------
    rgb : ndarray of shape (height, width, 3), uint8
    change : Perturbation

    Returns
    -------
    ndarray of shape (round(height * scale), round(width * scale), 3), uint8
    """
    image = rgb
    if change.brightness != 1.0:
        image = np.clip(image.astype(np.float32) * change.brightness, 0, 255).astype(np.uint8)
    if change.rotation_deg != 0.0:
        h, w = image.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), change.rotation_deg, 1.0)
        rotated = cv2.warpAffine(
            image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        image = np.asarray(rotated, dtype=np.uint8)
    if change.scale != 1.0:
        h, w = image.shape[:2]
        size = (max(1, round(w * change.scale)), max(1, round(h * change.scale)))
        interpolation = cv2.INTER_AREA if change.scale < 1 else cv2.INTER_CUBIC
        image = np.asarray(cv2.resize(image, size, interpolation=interpolation), dtype=np.uint8)
    if change.jpeg_quality is not None:
        image = jpeg_roundtrip(image, change.jpeg_quality)
    return np.ascontiguousarray(image)
