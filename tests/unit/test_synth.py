"""The synthetic condition generator: labels, determinism, and untouched regions."""

from __future__ import annotations

import numpy as np
import pytest

from data.patches import patch_regions, skin_patch
from data.synth import draw_conditions, rgb_to_lab, shift_tone
from data.vocabulary import CONCERNS, PRIMARY_REGIONS, Concern

SIZE = 256


def _draw(severities: dict[Concern, float], seed: int = 0) -> tuple[np.ndarray, dict]:
    base = skin_patch(SIZE, 30.0, np.random.default_rng(5))
    return draw_conditions(
        base, patch_regions(SIZE), severities, inter_ocular_px=90.0, rng=np.random.default_rng(seed)
    )


@pytest.mark.parametrize("concern", CONCERNS)
def test_labels_are_severity_in_primary_regions_only(concern: Concern) -> None:
    _, labels = _draw({concern: 0.7})
    for region, value in labels[concern].items():
        if region in PRIMARY_REGIONS[concern]:
            assert 0.6 * 70 - 1e-6 <= value <= 70 + 1e-6
        else:
            assert value == 0.0
    for other in CONCERNS:
        if other != concern:
            assert all(v == 0.0 for v in labels[other].values())


def test_zero_severity_changes_nothing() -> None:
    base = skin_patch(SIZE, 30.0, np.random.default_rng(5))
    image, _ = _draw({c: 0.0 for c in CONCERNS})
    assert np.abs(image.astype(int) - base.astype(int)).max() <= 1


def test_same_seed_same_image_other_seed_other_image() -> None:
    first, _ = _draw({"spots": 0.5, "acne": 0.5}, seed=1)
    again, _ = _draw({"spots": 0.5, "acne": 0.5}, seed=1)
    other, _ = _draw({"spots": 0.5, "acne": 0.5}, seed=2)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize(("target_l", "target_b"), [(75.0, 14.0), (45.0, 20.0), (30.0, 18.0)])
def test_shift_tone_moves_skin_median(target_l: float, target_b: float) -> None:
    base = skin_patch(SIZE, 30.0, np.random.default_rng(5))
    skin = np.zeros((SIZE, SIZE), bool)
    skin[40:216, 40:216] = True
    moved = rgb_to_lab(shift_tone(base, skin, target_l, target_b))
    inner = np.zeros_like(skin)
    inner[70:186, 70:186] = True
    median_l, _, median_b = np.median(moved[inner], axis=0)
    assert median_l == pytest.approx(target_l, abs=1.5)
    assert median_b == pytest.approx(target_b, abs=1.5)
