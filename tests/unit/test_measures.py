"""Each measurement responds to the condition it is meant for, on procedural skin patches."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy.stats import spearmanr

from data.patches import patch_regions, skin_patch
from data.synth import draw_conditions
from data.vocabulary import PRIMARY_REGIONS, Concern
from models.measures import HALF_RESOLUTION_SIGMA, _blur, compute_maps, pixels
from models.region_stats import FEATURE_NAMES, region_features

SIZE = 320
SEVERITIES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

# The measurement that should rise (+1) or fall (-1) with each concern's severity.
KEY_FEATURE: dict[Concern, tuple[str, int]] = {
    "redness": ("a_excess", 1),
    "spots": ("spot_fraction_weak", 1),
    "wrinkles": ("ridge_fine_mean", 1),
    "pores": ("pore_std", 1),
    "acne": ("acne_p99", 1),
    "oiliness": ("shine_p99", 1),
    "dark_circles": ("cheek_l_delta", -1),
    "texture": ("band_std", 1),
}


def _key_values(concern: Concern, ita: float, seed: int) -> list[float]:
    masks = patch_regions(SIZE)
    skin = np.logical_or.reduce(list(masks.values()))
    feature, _ = KEY_FEATURE[concern]
    column = FEATURE_NAMES.index(feature)
    values = []
    for severity in SEVERITIES:
        rng = np.random.default_rng(seed)
        base = skin_patch(SIZE, ita, np.random.default_rng(seed))
        painted, _ = draw_conditions(
            base, masks, {concern: severity}, inter_ocular_px=110.0, rng=rng
        )
        table, regions = region_features(compute_maps(painted, skin), masks)
        rows = [i for i, r in enumerate(regions) if r in PRIMARY_REGIONS[concern]]
        values.append(float(np.mean(table[rows, column])))
    return values


@pytest.mark.parametrize("concern", list(KEY_FEATURE))
@pytest.mark.parametrize("ita", [50.0, -30.0])
def test_key_measurement_tracks_severity(concern: Concern, ita: float) -> None:
    _, direction = KEY_FEATURE[concern]
    values = _key_values(concern, ita, seed=3)
    rho = spearmanr(SEVERITIES, [direction * v for v in values]).statistic
    assert rho >= 0.94, f"{concern} at ITA {ita}: {values}"


def test_features_have_one_row_per_region_and_named_columns() -> None:
    masks = patch_regions(SIZE)
    patch = skin_patch(SIZE, 30.0, np.random.default_rng(0))
    table, regions = region_features(compute_maps(patch, np.ones((SIZE, SIZE), bool)), masks)
    assert table.shape == (7, len(FEATURE_NAMES))
    assert len(set(regions)) == 7
    assert np.isfinite(table).all()


def test_tiny_regions_are_not_measured() -> None:
    masks = patch_regions(SIZE)
    masks["chin"] = np.zeros((SIZE, SIZE), bool)
    masks["chin"][0, :5] = True
    patch = skin_patch(SIZE, 30.0, np.random.default_rng(0))
    _, regions = region_features(compute_maps(patch, np.ones((SIZE, SIZE), bool)), masks)
    assert "chin" not in regions


def test_pixels_by_index_are_the_boolean_mask_pixels_in_order() -> None:
    masks = patch_regions(SIZE)
    rng = np.random.default_rng(4)
    painted, _ = draw_conditions(
        skin_patch(SIZE, 10.0, rng),
        masks,
        {"spots": 0.6, "acne": 0.5, "wrinkles": 0.4},
        inter_ocular_px=110.0,
        rng=rng,
    )
    # A highlight clipped to white, so the unclipped-pixel masks differ from the region masks.
    painted[40:70, 100:140] = 255
    maps = compute_maps(painted, np.logical_or.reduce(list(masks.values())))
    for region, mask in masks.items():
        for chosen in (mask, mask & maps.unclipped):
            index = np.flatnonzero(chosen)
            for name in ("lab", "spot", "pore", "acne", "ridge_fine", "band", "smooth"):
                image = getattr(maps, name)
                assert np.array_equal(pixels(image, index), image[chosen]), (region, name)


@pytest.mark.parametrize("sigma", [4.0, 6.0, 8.0])
def test_wide_blurs_at_half_resolution_match_the_full_gaussian(sigma: float) -> None:
    # A skin-like field: fine noise, a broad gradient and a hard edge (the worst case).
    rng = np.random.default_rng(0)
    field = rng.normal(0.0, 3.0, (SIZE, SIZE)).astype(np.float32)
    field += np.linspace(40.0, 70.0, SIZE, dtype=np.float32)[None, :]
    field[:, SIZE // 2 :] += 10.0
    full = cv2.GaussianBlur(field, (0, 0), sigmaX=sigma, sigmaY=sigma)
    fast = _blur(field, sigma)
    assert fast.shape == field.shape and fast.dtype == np.float32
    inner = (slice(16, -16), slice(16, -16))
    # Within 2 % of the edge's height everywhere inside the border, far less on average.
    assert np.abs(fast - full)[inner].max() < 0.2
    assert np.abs(fast - full)[inner].mean() < 0.03


def test_narrow_blurs_stay_exact() -> None:
    field = np.random.default_rng(1).normal(50.0, 5.0, (SIZE, SIZE)).astype(np.float32)
    narrow = HALF_RESOLUTION_SIGMA / 2
    assert np.array_equal(
        _blur(field, narrow), cv2.GaussianBlur(field, (0, 0), sigmaX=narrow, sigmaY=narrow)
    )
