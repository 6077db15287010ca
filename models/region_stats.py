"""Region feature rows: the statistics of the response maps over each region's skin.

``models.measures`` computes per-pixel maps of the aligned face (its docstring says what each
group of features measures); this module reduces them to one row per region, in the order of
``FEATURE_NAMES``, which is what the learned heads (``models.heads``) take.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from data.vocabulary import REGIONS, Region
from models._stats import column_medians, median, sorted_quantile
from models.measures import (
    ACNE_STRONG,
    ACNE_WEAK,
    FaceMaps,
    chroma_unit,
    contrast_scale,
    pixels,
)

REGION_FEATURES: tuple[str, ...] = (
    "a_to_b",
    "a_excess",
    "red_fraction",
    "l_relative",
    "b_relative",
    "spot_mean",
    "spot_fraction_weak",
    "spot_fraction_strong",
    "spot_p02",
    "pore_std",
    "pore_fraction",
    "acne_fraction_weak",
    "acne_fraction_strong",
    "acne_p99",
    "ridge_fine_mean",
    "ridge_coarse_mean",
    "ridge_fraction",
    "shine_fraction",
    "shine_p99",
    "shine_top_mean",
    "cheek_l_delta",
    "cheek_a_delta",
    "cheek_b_delta",
    "band_std",
    "uneven_l_std",
    "uneven_a_std",
    "uneven_b_std",
)
FACE_FEATURES: tuple[str, ...] = ("face_l", "face_hue", "face_chroma_to_l")
FEATURE_NAMES: tuple[str, ...] = (
    REGION_FEATURES + FACE_FEATURES + tuple(f"is_{region}" for region in REGIONS)
)


def _fraction(values: NDArray[np.float32], threshold: float) -> float:
    return np.count_nonzero(values > threshold) / max(values.size, 1)


def _graded_fraction(values: NDArray[np.float32], threshold: float) -> float:
    """Share of pixels beyond ``threshold``, each counted by how far: 0 at it, 1 from twice it.

    Unlike a hard count this does not jump when compression noise lifts many pixels that sat
    just under the threshold over it; a real blob is far beyond it and counts fully.
    """
    return float(np.mean(np.clip(values / threshold - 1.0, 0.0, 1.0)))


def _region_row(
    maps: FaceMaps, mask: NDArray[np.bool_], cheek_lab: NDArray[np.float64]
) -> list[float]:
    face_l, face_a, face_b = maps.face_lab
    unit = chroma_unit(face_a, face_b)
    scale = contrast_scale(face_l)
    index = np.flatnonzero(mask)
    lab = pixels(maps.lab, index)
    lightness = lab[:, 0] * scale
    red, yellow = lab[:, 1], lab[:, 2]
    ordered_lab = np.sort(lab.T, axis=1)
    region_lab = [sorted_quantile(channel, 0.5) for channel in ordered_lab]
    # Saturated pixels have lost fine detail: the spot, pore and texture statistics skip them,
    # so over-exposure changes those scores less (colour, acne, ridges and shine keep them).
    detail = np.flatnonzero(mask & maps.unclipped)
    if detail.size < 0.5 * index.size:
        detail = index
    spot = pixels(maps.spot, detail)
    pore = pixels(maps.pore, detail)
    acne = pixels(maps.acne, index)
    papules = pixels(maps.papules, index) / unit
    ridge_fine = pixels(maps.ridge_fine, index)
    ridge_coarse = pixels(maps.ridge_coarse, index)
    chroma = np.sqrt(red * red + yellow * yellow)
    # Lightness is a positive multiple of the region's L*, so its order is the L* order.
    ordered_light = ordered_lab[0] * scale
    light_median = sorted_quantile(ordered_light, 0.5)
    shine = lightness - light_median
    glossy = shine * (chroma < median(chroma))
    ordered_shine = ordered_light - light_median
    top = ordered_shine[-max(1, shine.size // 20) :]
    smooth = pixels(maps.smooth, detail)
    return [
        region_lab[1] / max(region_lab[2], 1.0),
        (region_lab[1] - face_a) / unit,
        _fraction((red - face_a) / unit, 6.0),
        (region_lab[0] - face_l) * scale,
        (region_lab[2] - face_b) / unit,
        float(np.mean(np.minimum(spot, 0.0))),
        _fraction(-spot, 2.0),
        _fraction(-spot, 5.0),
        sorted_quantile(np.sort(spot), 0.02),
        float(np.std(pore)),
        _fraction(-pore, 1.5),
        _graded_fraction(papules, ACNE_WEAK),
        _graded_fraction(papules, ACNE_STRONG),
        sorted_quantile(np.sort(acne), 0.99) / unit,
        float(np.mean(ridge_fine)),
        float(np.mean(ridge_coarse)),
        _fraction(ridge_fine, 1.0),
        _fraction(glossy, 8.0),
        sorted_quantile(ordered_shine, 0.99),
        float(np.mean(top)),
        (region_lab[0] - cheek_lab[0]) * scale,
        (region_lab[1] - cheek_lab[1]) / unit,
        (region_lab[2] - cheek_lab[2]) / unit,
        float(np.std(pixels(maps.band, detail))),
        float(np.std(smooth[:, 0])),
        float(np.std(smooth[:, 1])) / unit,
        float(np.std(smooth[:, 2])) / unit,
    ]


def region_features(
    maps: FaceMaps, masks: dict[Region, NDArray[np.bool_]], min_pixels: int = 30
) -> tuple[NDArray[np.float32], tuple[Region, ...]]:
    """One feature row per measurable region.

    Parameters
    ----------
    maps : FaceMaps
        Output of ``compute_maps`` for the aligned face.
    masks : dict of Region to ndarray of shape (size, size), bool
        Skin mask of each region in the aligned frame.
    min_pixels : int
        Regions with fewer skin pixels are not measured (hair, occlusion).

    Returns
    -------
    features : ndarray of shape (n_regions, n_features)
        Columns in the order of ``FEATURE_NAMES``.
    regions : tuple of Region
        The region of each row.
    """
    cheeks = [masks[r] for r in ("left_cheek", "right_cheek") if masks[r].sum() >= min_pixels]
    cheek_pixels = (
        pixels(maps.lab, np.flatnonzero(np.logical_or.reduce(cheeks)))
        if cheeks
        else maps.lab.reshape(-1, 3)
    )
    cheek_lab = column_medians(cheek_pixels)
    face_l, face_a, face_b = maps.face_lab
    face_context = [
        face_l,
        float(np.degrees(np.arctan2(face_b, face_a))),
        float(np.hypot(face_a, face_b)) / max(face_l, 5.0),
    ]
    rows: list[list[float]] = []
    measured: list[Region] = []
    for region in REGIONS:
        mask = masks.get(region)
        if mask is None or int(mask.sum()) < min_pixels:
            continue
        one_hot = [1.0 if region == other else 0.0 for other in REGIONS]
        rows.append(_region_row(maps, mask, cheek_lab) + face_context + one_hot)
        measured.append(region)
    table = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(FEATURE_NAMES))
    return table, tuple(measured)
