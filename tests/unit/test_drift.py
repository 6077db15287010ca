"""PSI, ratings, KS, the reference file and the HTML page of the drift report."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from training._drift_html import render_html
from training.drift import EPSILON, drift_report, psi, rate, worst
from training.drift_reference import (
    DriftReference,
    MissingReference,
    VariableReference,
    bin_shares,
    reference_from_columns,
)

RNG_SEED = 20261123


def _normal(n: int = 5000, loc: float = 0.0, seed: int = RNG_SEED) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc, 1.0, n)


def _reference(**columns: np.ndarray) -> DriftReference:
    scores = {k: v for k, v in columns.items() if k.startswith("score")}
    features = {k: v for k, v in columns.items() if k not in scores}
    return reference_from_columns("test-model", "v1", "unit test", features, scores)


def _row(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in report["variables"] if r["name"] == name)


def test_identical_sample_has_zero_psi() -> None:
    values = _normal()
    variable = VariableReference.from_values("x", values)
    assert psi(variable.shares, bin_shares(variable.edges, values)) == pytest.approx(0.0, abs=1e-6)


def test_fresh_draw_of_the_same_distribution_is_stable() -> None:
    report = drift_report(_reference(x=_normal()), {"x": _normal(seed=7)}, current_source="t")
    assert _row(report, "x")["psi"] < 0.02
    assert _row(report, "x")["rating"] == "stable"


def test_shifted_sample_is_flagged_as_drifted() -> None:
    report = drift_report(
        _reference(x=_normal(), y=_normal()),
        {"x": _normal(seed=7, loc=1.0), "y": _normal(seed=8)},
        current_source="t",
    )
    assert _row(report, "x")["psi"] > 0.25
    assert _row(report, "x")["rating"] == "drifted"
    assert _row(report, "y")["rating"] == "stable"
    assert worst(report) == ["x"]
    assert report["summary"]["drifted"] == 1
    assert report["warnings"] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "stable"), (0.099, "stable"), (0.1, "watch"), (0.25, "watch"), (0.26, "drifted")],
)
def test_ratings_follow_the_standard_thresholds(value: float, expected: str) -> None:
    assert rate(value) == expected


def test_empty_bins_give_a_finite_psi() -> None:
    reference = VariableReference.from_values("x", _normal())
    everything_high = np.full(100, 50.0)  # all current mass in the last bin, the rest empty
    value = psi(reference.shares, bin_shares(reference.edges, everything_high))
    assert math.isfinite(value) and value > 0.25
    assert psi([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]) == 0.0  # empty on both sides adds nothing
    assert psi([1.0, 0.0], [0.0, 1.0]) == pytest.approx(2 * (1 - EPSILON) * math.log(1 / EPSILON))


def test_constant_feature_is_stable_until_its_value_changes() -> None:
    reference = _reference(flag=np.zeros(1000))
    assert reference.variables["flag"].edges == (0.0,)
    same = drift_report(reference, {"flag": np.zeros(50)}, current_source="t")
    moved = drift_report(reference, {"flag": np.ones(50)}, current_source="t")
    assert _row(same, "flag")["psi"] == pytest.approx(0.0)
    assert _row(moved, "flag")["rating"] == "drifted"
    assert "Only 50 current values" in moved["warnings"][0]


def test_missing_values_have_their_own_bin() -> None:
    reference = _reference(x=_normal())
    current = _normal(seed=3)
    current[: len(current) // 2] = np.nan
    row = _row(drift_report(reference, {"x": current}, current_source="t"), "x")
    assert row["shares_current"][-1] == pytest.approx(0.5)
    assert row["missing_current"] == len(current) // 2
    assert row["rating"] == "drifted"


def test_a_variable_without_current_values_has_no_data() -> None:
    report = drift_report(_reference(x=_normal()), {}, current_source="t")
    assert _row(report, "x")["rating"] == "no_data"
    assert _row(report, "x")["psi"] is None


def test_scores_get_a_ks_statistic() -> None:
    reference = _reference(score=_normal())
    same = _row(drift_report(reference, {"score": _normal(seed=5)}, current_source="t"), "score")
    moved = _row(
        drift_report(reference, {"score": _normal(seed=5, loc=1.0)}, current_source="t"), "score"
    )
    assert same["ks"] < 0.05 and same["ks_pvalue"] > 0.01
    assert moved["ks"] > 0.3 and moved["ks_pvalue"] < 1e-6


def test_report_and_reference_round_trip_through_json(tmp_path: Path) -> None:
    reference = _reference(x=_normal(), score=np.random.default_rng(1).uniform(0, 1, 500))
    reference.save(tmp_path)
    assert DriftReference.load(tmp_path) == reference
    report = drift_report(
        reference, {"x": _normal(seed=2), "score": np.full(20, 0.5)}, current_source="t"
    )
    assert json.loads(json.dumps(report, allow_nan=False)) == report


def test_missing_reference_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(MissingReference) as caught:
        DriftReference.load(tmp_path)
    assert caught.value.code == "NO_DRIFT_REFERENCE"


def test_html_holds_the_table_and_nothing_external() -> None:
    reference = _reference(x=_normal(), score=_normal(seed=9))
    report = drift_report(
        reference, {"x": _normal(seed=2, loc=2.0), "score": _normal(seed=3)}, current_source="t"
    )
    page = render_html(report)
    assert '<table id="drift-table">' in page
    assert "<code>x</code>" in page and "drifted 漂移" in page
    assert "<svg" in page and "漂移报告" in page
    few = render_html(drift_report(reference, {"x": _normal(n=10)}, current_source="t"))
    assert 'class="warning"' in few and 'class="warning"' not in page
    for external in ("http:", "https:", "//", "<script", "<link", "src="):
        assert external not in page.replace("<!DOCTYPE html>", "")
