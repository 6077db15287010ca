"""Metrics, calibration and baselines of the propensity model, on numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.propensity_baselines import BGNBD, RFMScore
from models.propensity_calibration import Calibrator, apply_calibration
from training.propensity_metrics import (
    expected_calibration_error,
    lift_and_capture,
    probability_metrics,
)


def test_lift_and_capture_by_hand() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1])  # 3 positives in 10
    score = np.array([0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05])
    lift, capture = lift_and_capture(y, score, 0.2)  # top 2: one positive
    assert lift == pytest.approx(0.5 / 0.3) and capture == pytest.approx(1 / 3)
    lift, capture = lift_and_capture(y, score, 0.3)  # top 3: two positives
    assert lift == pytest.approx((2 / 3) / 0.3) and capture == pytest.approx(2 / 3)
    assert lift_and_capture(y, np.zeros(10), 1.0) == (pytest.approx(1.0), pytest.approx(1.0))


def test_ece_is_zero_when_calibrated_and_large_when_not() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.2, 200_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.003
    assert expected_calibration_error(y, np.clip(p * 3, 0, 1)) > 0.1
    metrics = probability_metrics(y, p)
    assert metrics["mean_predicted"] == pytest.approx(metrics["base_rate"], abs=0.002)
    assert len(metrics["calibration_curve"]["observed"]) == 10


@pytest.mark.parametrize("method", ["isotonic", "sigmoid"])
def test_calibrator_fixes_an_overconfident_score(method: str) -> None:
    rng = np.random.default_rng(1)
    truth = rng.uniform(0, 0.1, 50_000)
    y = (rng.uniform(size=truth.size) < truth).astype(int)
    raw = np.sqrt(truth)  # monotone but far too high
    calibrator = Calibrator(method).fit(raw, y)  # type: ignore[arg-type]
    calibrated = calibrator.transform(raw)
    assert expected_calibration_error(y, calibrated) < 0.01 < expected_calibration_error(y, raw)
    np.testing.assert_allclose(apply_calibration(calibrator.to_dict(), raw), calibrated)
    with pytest.raises(ValueError, match="isotonic"):
        Calibrator("platt").fit(raw, y)  # type: ignore[arg-type]


def test_rfm_score_orders_recent_frequent_big_spenders_first() -> None:
    rng = np.random.default_rng(2)
    train = pd.DataFrame(
        {
            "orders_days_since_last": rng.uniform(0, 400, 1000),
            "orders_n": rng.integers(1, 10, 1000).astype(float),
            "orders_spend": rng.uniform(10, 5000, 1000),
        }
    )
    rfm = RFMScore().fit(train)
    best = pd.DataFrame({"orders_days_since_last": [1], "orders_n": [20], "orders_spend": [9e4]})
    worst = pd.DataFrame({"orders_days_since_last": [999], "orders_n": [1], "orders_spend": [1]})
    assert rfm.score(best)[0] == 15 and rfm.score(worst)[0] == 3
    with pytest.raises(RuntimeError, match="not fitted"):
        RFMScore().score(best)


def _bgnbd_customers(r: float, alpha: float, a: float, b: float, n: int) -> pd.DataFrame:
    """Customers drawn from the BG/NBD story itself, observed for 52 weeks after joining."""
    rng = np.random.default_rng(3)
    rate = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    big_t = rng.uniform(20, 52, n)
    x = np.zeros(n)
    last = np.zeros(n)
    alive = np.ones(n, bool)
    now = np.zeros(n)
    for _ in range(200):  # purchases: exponential gaps; after each, drop out with prob p
        now = now + rng.exponential(1 / rate)
        bought = alive & (now < big_t)
        x += bought
        last = np.where(bought, now, last)
        alive = bought & (rng.uniform(size=n) >= drop)
    return pd.DataFrame(
        {
            "orders_n": x + 1,
            "orders_days_since_first": big_t * 7,
            "orders_days_since_last": (big_t - last) * 7,
        }
    )


def test_bgnbd_recovers_the_parameters_it_was_drawn_from() -> None:
    customers = _bgnbd_customers(r=0.8, alpha=6.0, a=0.9, b=3.0, n=20_000)
    model = BGNBD().fit(customers)
    assert model.converged_
    assert model.r_ == pytest.approx(0.8, rel=0.15)
    assert model.alpha_ == pytest.approx(6.0, rel=0.2)
    assert model.a_ == pytest.approx(0.9, rel=0.3) and model.b_ == pytest.approx(3.0, rel=0.35)
    expected = model.expected_purchases(customers, 26)
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    # a frequent recent buyer is expected to buy more than one who has gone quiet
    frequent = customers.iloc[[0]].assign(orders_n=10.0, orders_days_since_last=1.0)
    quiet = frequent.assign(orders_days_since_last=frequent["orders_days_since_first"] - 1)
    assert model.expected_purchases(frequent, 26)[0] > 3 * model.expected_purchases(quiet, 26)[0]
    assert 0 < model.probability_alive(quiet)[0] < model.probability_alive(frequent)[0] <= 1
