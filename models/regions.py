"""Skin regions of a face from its 468-point mesh: polygons, the skin mask, and region masks.

Left and right are the person's own: ``left_cheek`` is on the image's right in an unmirrored
frontal photo. Head pose and alignment live in ``models.pose`` and are re-exported here, so a
caller finds the whole face geometry in one place.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from data.vocabulary import REGIONS, Region
from models._stats import multiset_median
from models.mesh_indices import (
    FACE_OVAL,
    LEFT_EYE,
    LEFT_EYE_OUTER,
    LEFT_EYEBROW,
    LEFT_NOSTRIL,
    LIPS_OUTER,
    REGION_POLYGONS,
    RIGHT_EYE,
    RIGHT_EYE_OUTER,
    RIGHT_EYEBROW,
    RIGHT_NOSTRIL,
)
from models.pose import AlignedFace, HeadPose, align_face, head_pose

__all__ = [
    "AlignedFace",
    "HeadPose",
    "align_face",
    "head_pose",
    "region_masks",
    "region_polygons",
    "skin_mask",
]

# How far each feature is cut out beyond its contour, as a fraction of the eye-corner span:
# lashes, liner and eyelid folds reach past the eye contour; brow hairs and lip edges less far.
_DILATE = {"eyes": 0.05, "brows": 0.04, "lips": 0.03, "nostrils": 0.03}
# Colour outliers: darker than the skin median by more than this many robust standard deviations
# (or L* units, whichever is larger) is hair, beard, shadow or background...
_DARK_SIGMAS, _DARK_MIN_L = 3.0, 12.0
# ...and so is a hue/chroma (a*, b*) this far from the skin median.
_CHROMA_SIGMAS, _CHROMA_MIN = 4.0, 22.0
# Outlier blobs smaller than this (fraction of the squared eye-corner span) are kept: they are
# spots, moles, pores or acne, which the skin measures must see.
_MIN_OUTLIER_AREA = 0.02
# Robust colour statistics are taken on about this many skin pixels (an even subsample).
_STAT_SAMPLES = 20_000
# OpenCV's 8-bit Lab codes and their CIELAB values: L* = code x 100 / 255, a*, b* = code - 128.
_LAB8_SCALE = np.array([100 / 255, 1, 1], np.float32)
_LAB8_OFFSET = np.array([0, 128, 128], np.float32)
_LAB8_CODES = np.arange(256, dtype=np.float32)
# Regions are filled in this order and a pixel belongs to the first region that claims it, so
# regions never overlap even where neighbouring polygons share an edge.
_FILL_ORDER: tuple[Region, ...] = (
    "nose",
    "right_under_eye",
    "left_under_eye",
    "right_cheek",
    "left_cheek",
    "chin",
    "forehead",
)


def _xy(points: NDArray[np.floating]) -> NDArray[np.float32]:
    if points.ndim != 2 or points.shape[0] != 468 or points.shape[1] not in (2, 3):
        raise ValueError(f"expected mesh points of shape (468, 2) or (468, 3), got {points.shape}")
    return np.asarray(points[:, :2], dtype=np.float32)


def _span(xy: NDArray[np.float32]) -> float:
    return float(np.linalg.norm(xy[LEFT_EYE_OUTER] - xy[RIGHT_EYE_OUTER]))


def region_polygons(points: NDArray[np.floating]) -> dict[Region, NDArray[np.float32]]:
    """The outline of each skin region.

    Parameters
    ----------
    points : ndarray of shape (468, 2) or (468, 3)
        The face mesh in image pixels.

    Returns
    -------
    dict of Region to ndarray of shape (n_vertices, 2), float32
        One closed polygon per region in ``REGIONS`` (forehead, left_cheek, right_cheek, nose,
        chin, left_under_eye, right_under_eye). Left and right are the person's own: the left
        cheek is on the image's right in an unmirrored photo.
    """
    xy = _xy(points)
    return {region: xy[list(REGION_POLYGONS[region])] for region in REGIONS}


def _fixed(polygon: NDArray[np.float32]) -> NDArray[np.int32]:
    # Fixed-point coordinates (4 fractional bits) keep sub-pixel landmark positions.
    return np.round(polygon * 16).astype(np.int32)


def _fill(shape: tuple[int, int], polygons: list[NDArray[np.float32]]) -> NDArray[np.bool_]:
    canvas = np.zeros(shape, np.uint8)
    cv2.fillPoly(canvas, [_fixed(p) for p in polygons], 1, lineType=cv2.LINE_8, shift=4)
    return canvas.astype(bool)


def _features(shape: tuple[int, int], xy: NDArray[np.float32], span: float) -> NDArray[np.bool_]:
    """Eyes, brows, lips and nostrils, each grown by its margin.

    A polygon grown by r is the polygon plus its outline drawn 2r thick with round joins, which
    is far cheaper than a morphological dilation of the whole mask.
    """
    groups = {
        "eyes": (RIGHT_EYE, LEFT_EYE),
        "brows": (RIGHT_EYEBROW, LEFT_EYEBROW),
        "lips": (LIPS_OUTER,),
        "nostrils": (RIGHT_NOSTRIL, LEFT_NOSTRIL),
    }
    canvas = np.zeros(shape, np.uint8)
    for name, loops in groups.items():
        polygons = [_fixed(xy[list(loop)]) for loop in loops]
        thickness = 2 * max(1, round(_DILATE[name] * span)) + 1
        cv2.fillPoly(canvas, polygons, 1, lineType=cv2.LINE_8, shift=4)
        cv2.polylines(canvas, polygons, True, 1, thickness, lineType=cv2.LINE_8, shift=4)
    return canvas.astype(bool)


def _large_blobs(mask: NDArray[np.bool_], min_area: float) -> NDArray[np.bool_]:
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8
    )
    big = np.zeros(count, bool)
    big[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return np.asarray(big[labels], dtype=np.bool_)


def _colour_outliers(
    rgb: NDArray[np.uint8], candidate: NDArray[np.bool_], span: float
) -> NDArray[np.bool_]:
    """Large areas too dark or off-hue for skin: hair, beard, shadow, background, glasses.

    Bright, pale pixels are never outliers: shine is what the oiliness measure looks for.
    """
    # 8-bit Lab (L* x 255/100, a* + 128, b* + 128) is exact enough here and several times faster.
    lab8 = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab), dtype=np.uint8)
    # Every n-th candidate pixel, gathered by index: the same values as lab8[candidate][::n]
    # without copying every candidate pixel first.
    inside = np.flatnonzero(candidate)
    sample = lab8.reshape(-1, 3)[inside[:: max(1, inside.size // _STAT_SAMPLES)]]
    # Every statistic and test below depends on one 8-bit code per channel, so each is worked
    # out once per code value (in the same float arithmetic as per pixel) and weighted by how
    # often the code occurs or looked up per pixel: the medians and masks are exactly those of
    # the per-pixel computation, for a fraction of its cost.
    lightness, a, b = values = [_LAB8_CODES * _LAB8_SCALE[k] - _LAB8_OFFSET[k] for k in range(3)]
    counts = [np.bincount(sample[:, k], minlength=256) for k in range(3)]
    median = np.array([multiset_median(values[k], counts[k]) for k in range(3)])
    spread = 1.4826 * np.array(
        [multiset_median(np.abs(values[k] - median[k]), counts[k]) for k in range(3)]
    )
    dark = lightness < median[0] - max(_DARK_SIGMAS * spread[0], _DARK_MIN_L)
    light = lightness >= median[0]
    chroma_limit = max(_CHROMA_SIGMAS * float(np.hypot(spread[1], spread[2])), _CHROMA_MIN)
    off_hue = (a - median[1])[:, None] ** 2 + (b - median[2])[None, :] ** 2 > chroma_limit**2
    pale = (a**2)[:, None] + (b**2)[None, :] <= median[1] ** 2 + median[2] ** 2
    # Per pixel: its L* code indexes the L* tables, its (a*, b*) code pair the chroma tables.
    level, pair = lab8[..., 0], (lab8[..., 1].astype(np.intp) << 8) | lab8[..., 2]
    # Shine (as light as the skin and no more chromatic) is never an outlier.
    shine_like = light[level] & pale.ravel()[pair]
    outliers = dark[level] | (off_hue.ravel()[pair] & ~shine_like)
    return _large_blobs(outliers & candidate, _MIN_OUTLIER_AREA * span**2)


def skin_mask(rgb: NDArray[np.uint8], points: NDArray[np.floating]) -> NDArray[np.bool_]:
    """Visible facial skin.

    The face oval minus the eyes (grown to take in lashes and liner), brows, lips and nostrils,
    minus large areas whose colour is not skin: much darker than the median skin L* (hair, beard,
    shadow) or far from its a*/b* (background, glasses). Small dark or red blobs (spots, acne) and
    bright shine are kept, because the skin measures need them.

    Parameters
    ----------
    rgb : ndarray of shape (height, width, 3), uint8
        The image the mesh was found on (a photo or an aligned face).
    points : ndarray of shape (468, 2) or (468, 3)
        The face mesh in the pixels of ``rgb``.

    Returns
    -------
    ndarray of shape (height, width), bool
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected uint8 (height, width, 3), got {rgb.dtype} {rgb.shape}")
    xy = _xy(points)
    mask = np.zeros(rgb.shape[:2], bool)
    # Only the face oval's bounding box can hold skin: work there, not on the whole photo.
    oval = xy[list(FACE_OVAL)]
    x0, y0 = np.maximum(np.floor(oval.min(axis=0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(oval.max(axis=0)).astype(int) + 2, rgb.shape[1::-1])
    if x1 <= x0 or y1 <= y0:
        return mask
    local = xy - np.array([x0, y0], np.float32)
    shape = (int(y1 - y0), int(x1 - x0))
    span = _span(xy)
    candidate = _fill(shape, [local[list(FACE_OVAL)]]) & ~_features(shape, local, span)
    if candidate.any():
        crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
        mask[y0:y1, x0:x1] = candidate & ~_colour_outliers(crop, candidate, span)
    return mask


def region_masks(
    rgb: NDArray[np.uint8], points: NDArray[np.floating]
) -> dict[Region, NDArray[np.bool_]]:
    """The skin of each region: its polygon intersected with :func:`skin_mask`.

    Parameters
    ----------
    rgb : ndarray of shape (height, width, 3), uint8
        The image the mesh was found on (a photo or an aligned face).
    points : ndarray of shape (468, 2) or (468, 3)
        The face mesh in the pixels of ``rgb``.

    Returns
    -------
    dict of Region to ndarray of shape (height, width), bool
        One mask per region in ``REGIONS`` (person's left/right); masks never overlap and may
        be empty when a region is hidden (hair over the forehead, a turned head).
    """
    skin = skin_mask(rgb, points)
    polygons = region_polygons(points)
    taken = np.zeros_like(skin)
    masks: dict[Region, NDArray[np.bool_]] = {}
    for region in _FILL_ORDER:
        mask = _fill(skin.shape, [polygons[region]]) & skin & ~taken
        taken |= mask
        masks[region] = mask
    return {region: masks[region] for region in REGIONS}
