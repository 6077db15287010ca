"""Order statistics by sorting (and by histogram for 8-bit values) equal numpy's quantiles."""

from __future__ import annotations

import numpy as np
import pytest

from models._stats import (
    column_medians,
    median,
    multiset_median,
    sorted_quantile,
    uint8_quantile,
)

QUANTILES = (0.0, 0.001, 0.02, 0.5, 0.9, 0.999, 1.0)


@pytest.mark.parametrize("size", [1, 2, 3, 10, 1001, 50_000])
def test_sorted_quantile_and_median_equal_numpy(size: int) -> None:
    values = np.random.default_rng(size).normal(50.0, 12.0, size).astype(np.float32)
    ordered = np.sort(values)
    for q in QUANTILES:
        assert sorted_quantile(ordered, q) == pytest.approx(
            float(np.quantile(values.astype(np.float64), q)), abs=1e-9
        )
    assert median(values) == pytest.approx(float(np.median(values.astype(np.float64))), abs=1e-9)


def test_column_medians_are_each_columns_median() -> None:
    table = np.random.default_rng(3).normal(0.0, 1.0, (999, 3)).astype(np.float32)
    expected = np.median(table.astype(np.float64), axis=0)
    np.testing.assert_allclose(column_medians(table), expected, atol=1e-9)


@pytest.mark.parametrize("size", [1, 2, 3, 10, 1001, 50_000])
@pytest.mark.parametrize("spread", ["uniform", "near white"])
def test_uint8_quantile_equals_the_sorted_quantile(size: int, spread: str) -> None:
    rng = np.random.default_rng(size)
    if spread == "uniform":
        values = rng.integers(0, 256, size).astype(np.uint8)
    else:  # the case it serves: a skin's brightest channel, piled up against white
        values = np.clip(rng.normal(240.0, 12.0, size), 0, 255).astype(np.uint8)
    ordered = np.sort(values)
    for q in QUANTILES:
        assert uint8_quantile(values, q) == sorted_quantile(ordered, q)


@pytest.mark.parametrize("size", [1, 2, 3, 10, 1001, 50_000])
def test_multiset_median_equals_the_median_of_the_expanded_values(size: int) -> None:
    rng = np.random.default_rng(size)
    codes = rng.integers(0, 256, size).astype(np.uint8)
    # Any float value per code, in no particular order (deviations from a median are not).
    per_code = np.abs(np.arange(256, dtype=np.float32) * np.float32(100 / 255) - 47.3)
    counts = np.bincount(codes, minlength=256)
    assert multiset_median(per_code, counts) == median(per_code[codes])
