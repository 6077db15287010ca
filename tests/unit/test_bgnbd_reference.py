"""BG/NBD against its published fit: the CDNOW sample of Fader, Hardie & Lee (2005).

The paper reports r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 and a log-likelihood of
-9582.4 on these 2,357 customers (weeks). Our scipy fit must land on the same maximum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.propensity_baselines import BGNBD

CDNOW = Path(__file__).parents[1] / "fixtures" / "cdnow" / "cdnow_customers_summary.csv"
PUBLISHED = {"r_": 0.243, "alpha_": 4.414, "a_": 0.793, "b_": 2.426}


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    """The summary as the order features BGNBD reads (days, orders counted with the first)."""
    summary = pd.read_csv(CDNOW)
    return pd.DataFrame(
        {
            "orders_n": summary["frequency"] + 1,
            "orders_days_since_first": summary["T"] * 7.0,
            "orders_days_since_last": (summary["T"] - summary["recency"]) * 7.0,
        }
    )


def test_the_fit_reproduces_the_published_parameters(customers: pd.DataFrame) -> None:
    model = BGNBD().fit(customers)
    assert model.converged_
    for name, value in PUBLISHED.items():
        assert getattr(model, name) == pytest.approx(value, abs=0.002), name
    assert model.loglik_ * len(customers) == pytest.approx(-9582.4, abs=0.1)


def test_expected_purchases_rise_with_frequency_and_fall_with_inactivity(
    customers: pd.DataFrame,
) -> None:
    model = BGNBD().fit(customers)
    base = {"orders_n": 3.0, "orders_days_since_first": 38 * 7.0, "orders_days_since_last": 7.0}
    rows = pd.DataFrame(
        [base, {**base, "orders_n": 6.0}, {**base, "orders_days_since_last": 30 * 7.0}]
    )
    expected = model.expected_purchases(rows, 39.0)
    alive = model.probability_alive(rows)
    assert expected[1] > expected[0] > expected[2] > 0
    assert np.all((alive > 0) & (alive <= 1)) and alive[2] < alive[0]
