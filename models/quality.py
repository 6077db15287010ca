"""The photo-quality gate: measure a decoded photo around its face, then judge the measures.

The face box, face count and head pose come from the face models; this module only takes them
as numbers, so it is pure array code. Thresholds live in :class:`~skinlab.settings.Settings` and
were calibrated on the shipped frontal photos (``tests/unit/test_quality.py`` holds the claims).

What each measure is:

- ``sharpness``: a Laplacian variance that also sees motion blur. The grey face crop is resized
  to 256 px wide (area-averaged when larger, which also averages away sensor and JPEG noise) and
  its second difference is taken along four directions (0, 45, 90 and 135 degrees); the
  smallest variance, times 4, is the sharpness. The plain Laplacian sums directions, so a photo
  smeared along one direction kept enough detail in the other to pass; for detail without a
  preferred direction the two read alike (within 15% on the shipped photos). Grey levels are
  first scaled up so that the median is at least 128 (at most 4x): the measure grows with the
  square of exposure, and without this an under-exposed face or darker skin would read as
  blurred. Brighter faces are left as they are.
- ``brightness_l``: median CIELAB L* (0-100, sRGB D65) of the face pixels (the skin pixels inside
  the face box when a skin mask is given).
- ``clipped_fraction``: share of those pixels whose largest channel is 250 or more.
- ``dark_fraction``: share of those pixels with L* below 15.

Without a face every measure is taken on the whole photo, so a verdict can still say that the
photo was too dark or too bright to find one.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from models._stats import median, sorted_quantile
from models.results import QualityMeasures, QualityReport
from skinlab.errors import QualityFailed, quality_error
from skinlab.settings import Settings

__all__ = ["QUALITY_CODES", "assess_quality", "crop_slices", "first_failure", "measure_quality"]

# Verdict codes in the order they are reported; the first one is what the customer is told.
QUALITY_CODES = (
    "NO_FACE",
    "MULTIPLE_FACES",
    "FACE_TOO_SMALL",
    "TOO_DARK",
    "OVEREXPOSED",
    "TOO_BLURRY",
    "HEAD_TILTED",
    "HEAD_TURNED",
)
SHARPNESS_WIDTH = 256
_MEDIAN_GREY = 128.0
_MAX_EXPOSURE_GAIN = 4.0
# Second differences along 0, 90, 45 and 135 degrees; a diagonal step is sqrt(2) long, hence 1/2.
_ALONG_ROWS = np.array([[0, 0, 0], [1, -2, 1], [0, 0, 0]], dtype=np.float32)
_ALONG_DIAGONAL = np.array([[1, 0, 0], [0, -2, 0], [0, 0, 1]], dtype=np.float32) / 2
_SECOND_DIFFERENCES = (
    _ALONG_ROWS,
    _ALONG_ROWS.T.copy(),
    _ALONG_DIAGONAL,
    np.fliplr(_ALONG_DIAGONAL).copy(),
)
CLIPPED_LEVEL = 250
DARK_L = 15.0
# Light statistics are read on every n-th pixel of faces wider than this (a grid of at least
# 128 px across, tens of thousands of skin pixels for a face the gate accepts). Against every
# pixel, on the shipped photos at 1-3x their size: median L* within 0.4, shares within 0.002.
_LIGHT_SAMPLE_WIDTH = 256
# With fewer skin pixels than this in the box, the whole box is measured instead.
_MIN_SKIN_PIXELS = 64


def measure_quality(
    rgb: NDArray[np.uint8],
    *,
    face_box: tuple[float, float, float, float] | None,
    faces_found: int,
    pose_deg: tuple[float, float, float],
    skin_mask: NDArray[np.bool_] | None = None,
) -> QualityMeasures:
    """Measure size, sharpness, exposure and pose of the face in a photo.

    Parameters
    ----------
    rgb : ndarray of shape (height, width, 3), uint8
        The decoded photo.
    face_box : tuple of float or None
        ``(x0, y0, x1, y1)`` of the face in pixels, may extend past the border; None without a
        face, in which case the whole photo is measured.
    faces_found : int
        How many faces count for the one-face rule.
    pose_deg : tuple of float
        ``(yaw, pitch, roll)`` of the head in degrees.
    skin_mask : ndarray of shape (height, width), bool, optional
        Skin pixels; light is then measured on the skin inside the face box.

    Returns
    -------
    QualityMeasures
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (height, width, 3) uint8 array, got {rgb.shape} {rgb.dtype}")
    height, width = rgb.shape[:2]
    if skin_mask is not None and skin_mask.shape != (height, width):
        raise ValueError(f"skin_mask has shape {skin_mask.shape}, the photo {(height, width)}")
    rows, cols = crop_slices(face_box, width, height)
    face = rgb[rows, cols]
    face_skin = skin_mask[rows, cols] if skin_mask is not None else None
    face_width = float(face_box[2] - face_box[0]) if face_box is not None else 0.0
    brightness, clipped, dark = _light(face, face_skin)
    yaw, pitch, roll = pose_deg
    return QualityMeasures(
        image_width=width,
        image_height=height,
        faces_found=faces_found,
        face_width_px=face_width,
        face_fraction=face_width / width,
        sharpness=_sharpness(face),
        brightness_l=brightness,
        clipped_fraction=clipped,
        dark_fraction=dark,
        yaw_deg=float(yaw),
        pitch_deg=float(pitch),
        roll_deg=float(roll),
    )


def assess_quality(measures: QualityMeasures, settings: Settings) -> QualityReport:
    """Judge measures against the thresholds in ``settings``.

    Parameters
    ----------
    measures : QualityMeasures
    settings : Settings
        ``min_face_width_px``, ``min_face_fraction``, ``min_sharpness``, ``min_brightness_l``,
        ``max_brightness_l``, ``max_clipped_fraction``, ``max_yaw_deg``, ``max_pitch_deg`` and
        ``max_roll_deg`` are used.

    Returns
    -------
    QualityReport
        ``issues`` lists every failing code in :data:`QUALITY_CODES` order. Without a face
        only NO_FACE and the light verdicts (measured on the whole photo) can appear.
        Comparisons are written so that a NaN measure fails.
    """
    m, s = measures, settings
    face = m.faces_found > 0
    failing = {
        "NO_FACE": not face,
        "MULTIPLE_FACES": m.faces_found > 1,
        "FACE_TOO_SMALL": face
        and not (m.face_width_px >= s.min_face_width_px and m.face_fraction >= s.min_face_fraction),
        "TOO_DARK": not m.brightness_l >= s.min_brightness_l,
        "OVEREXPOSED": not (
            m.brightness_l <= s.max_brightness_l and m.clipped_fraction <= s.max_clipped_fraction
        ),
        "TOO_BLURRY": face and not m.sharpness >= s.min_sharpness,
        "HEAD_TILTED": face and not abs(m.roll_deg) <= s.max_roll_deg,
        "HEAD_TURNED": face
        and not (abs(m.yaw_deg) <= s.max_yaw_deg and abs(m.pitch_deg) <= s.max_pitch_deg),
    }
    issues = [code for code in QUALITY_CODES if failing[code]]
    return QualityReport(ok=not issues, issues=issues, measures=measures)


def first_failure(report: QualityReport) -> QualityFailed:
    """The error to raise for a report: its first issue, with every issue in ``details``.

    Parameters
    ----------
    report : QualityReport

    Returns
    -------
    QualityFailed
        For a report without issues (the face models found nothing usable after all), NO_FACE.
    """
    issues = report.issues or ["NO_FACE"]
    details: dict[str, object] = {"issues": list(issues)}
    if report.measures is not None:
        details["measures"] = report.measures.model_dump()
    return quality_error(issues[0], details)


def crop_slices(
    box: tuple[float, float, float, float] | None, width: int, height: int
) -> tuple[slice, slice]:
    """Rows and columns of the box inside the photo; the whole photo without a usable box."""
    if box is None:
        return slice(0, height), slice(0, width)
    x0, y0 = max(math.floor(box[0]), 0), max(math.floor(box[1]), 0)
    x1, y1 = min(math.ceil(box[2]), width), min(math.ceil(box[3]), height)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return slice(0, height), slice(0, width)
    return slice(y0, y1), slice(x0, x1)


def _sharpness(face: NDArray[np.uint8]) -> float:
    """Directional Laplacian variance of the face at 256 px wide (module docstring)."""
    grey = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY).astype(np.float32)
    height, width = grey.shape
    scale = SHARPNESS_WIDTH / width
    size = (SHARPNESS_WIDTH, max(round(height * scale), 3))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = np.asarray(cv2.resize(grey, size, interpolation=interpolation), dtype=np.float32)
    median = sorted_quantile(np.sort(resized, axis=None), 0.5)
    gain = min(max(_MEDIAN_GREY / max(median, 1.0), 1.0), _MAX_EXPOSURE_GAIN)
    resized *= np.float32(gain)
    variances = [
        float(cv2.filter2D(resized, cv2.CV_32F, kernel).var()) for kernel in _SECOND_DIFFERENCES
    ]
    return 4.0 * min(variances)


def _light(face: NDArray[np.uint8], skin: NDArray[np.bool_] | None) -> tuple[float, float, float]:
    """Median L*, clipped share and dark share of the face (or its skin) pixels."""
    step = max(1, math.ceil(face.shape[1] / _LIGHT_SAMPLE_WIDTH))
    pixels = face[::step, ::step].reshape(-1, 3)
    if skin is not None:
        on_skin = skin[::step, ::step].reshape(-1)
        if np.count_nonzero(on_skin) >= _MIN_SKIN_PIXELS:
            pixels = pixels[on_skin]
    lab = cv2.cvtColor((pixels.astype(np.float32) / 255.0).reshape(-1, 1, 3), cv2.COLOR_RGB2Lab)
    lightness = np.asarray(lab[:, 0, 0], dtype=np.float32)
    # Elementwise maxima: numpy's max over a last axis of 3 is several times slower.
    brightest = np.maximum(np.maximum(pixels[:, 0], pixels[:, 1]), pixels[:, 2])
    clipped = float(np.mean(brightest >= CLIPPED_LEVEL))
    dark = float(np.mean(lightness < DARK_L))
    return median(lightness), clipped, dark
