"""The peers the propensity model is judged against: an RFM score and the BG/NBD model.

BG/NBD is fitted here by maximum likelihood with ``scipy.optimize`` on the closed-form
likelihood of Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing
Science 24(2). The maintained libraries were checked and not used: ``btyd`` 0.1a1 is an alpha
pinning ``pymc<5`` and ``autograd==1.4``; ``pymc-marketing`` pulls in PyMC and PyTensor (a
compiler toolchain) for one four-parameter fit; ``lifetimes`` has had no release since 2020.
The fit reproduces the paper's own estimates on its CDNOW sample (r 0.243, alpha 4.414, a 0.793,
b 2.426, log-likelihood -9582.4; ``tests/unit/test_bgnbd_reference.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

RFM_COLUMNS = ("orders_days_since_last", "orders_n", "orders_spend")


class RFMScore:
    """The classic RFM score: quintiles of recency, frequency and monetary value, summed (3-15).

    ``fit`` learns the quintile edges on the training users so that a later period is scored on
    the same scale.
    """

    def __init__(self, bins: int = 5) -> None:
        self.bins = bins

    def fit(self, features: pd.DataFrame, y: Any = None) -> RFMScore:
        qs = np.linspace(0, 1, self.bins + 1)[1:-1]
        self.edges_ = {c: np.quantile(features[c].to_numpy(np.float64), qs) for c in RFM_COLUMNS}
        return self

    def score(self, features: pd.DataFrame) -> np.ndarray:
        """RFM score per row, shape ``(n_samples,)``; higher = more likely to buy."""
        if not hasattr(self, "edges_"):
            raise RuntimeError("RFMScore is not fitted; call fit first")
        total = np.zeros(len(features))
        for column in RFM_COLUMNS:
            values = features[column].to_numpy(np.float64)
            rank = np.searchsorted(self.edges_[column], values, side="right") + 1.0
            total += (self.bins + 1 - rank) if column == "orders_days_since_last" else rank
        return total


def rfm_matrix(features: pd.DataFrame) -> np.ndarray:
    """log1p of recency (days), frequency and monetary value: the logistic baseline's inputs."""
    matrix = features[list(RFM_COLUMNS)].to_numpy(np.float64).clip(min=0)
    return np.asarray(np.log1p(matrix))


def _bgnbd_loglik(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, big_t: np.ndarray
) -> np.ndarray:
    r, alpha, a, b = np.exp(params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + big_t)
    repeat = x > 0
    a4 = np.full_like(a3, -np.inf)
    a4[repeat] = (
        np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4))


class BGNBD:
    """BG/NBD repeat-purchase model (Fader, Hardie & Lee 2005), maximum likelihood via scipy.

    Inputs per customer, in weeks: ``x`` repeat purchases (orders after the first), ``t_x``
    the time from first to last purchase, ``T`` the time from first purchase to the as-of date.
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    @staticmethod
    def summary(features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, t_x, T)`` in weeks from the order features of :mod:`models.propensity_features`."""
        n = features["orders_n"].to_numpy(np.float64)
        first = features["orders_days_since_first"].to_numpy(np.float64)
        last = features["orders_days_since_last"].to_numpy(np.float64)
        return np.maximum(n - 1, 0), (first - last) / 7.0, np.maximum(first / 7.0, 1e-3)

    def fit(self, features: pd.DataFrame, y: Any = None) -> BGNBD:
        x, t_x, big_t = self.summary(features)

        def objective(params: np.ndarray) -> float:
            penalty = self.penalizer * float(np.sum(np.exp(params) ** 2))
            return -float(np.mean(_bgnbd_loglik(params, x, t_x, big_t))) + penalty

        start = np.log([1.0, max(float(np.mean(big_t)), 1.0), 1.0, 1.0])
        result = minimize(objective, start, method="L-BFGS-B")
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(result.x))
        self.converged_ = bool(result.success)
        self.loglik_ = -float(result.fun)
        return self

    def expected_purchases(self, features: pd.DataFrame, weeks: float) -> np.ndarray:
        """E[purchases in the next ``weeks``], shape ``(n_samples,)`` (FHL 2005, eq. 10)."""
        if not hasattr(self, "r_"):
            raise RuntimeError("BGNBD is not fitted; call fit first")
        x, t_x, big_t = self.summary(features)
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        z = weeks / (alpha + big_t + weeks)
        # for a < 1 both this factor and the bracket below are negative; only a == 1 is singular
        first = (a + b + x - 1) / (a - 1 if abs(a - 1) > 1e-9 else 1e-9)
        hyp = hyp2f1(r + x, b + x, a + b + x - 1, z)
        body = 1 - ((alpha + big_t) / (alpha + big_t + weeks)) ** (r + x) * hyp
        odds = np.where(
            x > 0,
            a / np.maximum(b + x - 1, 1e-12) * ((alpha + big_t) / (alpha + t_x)) ** (r + x),
            0,
        )
        return np.asarray(first * body / (1 + odds))

    def probability_alive(self, features: pd.DataFrame) -> np.ndarray:
        """P(still a customer at the as-of date), shape ``(n_samples,)``."""
        x, t_x, big_t = self.summary(features)
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        odds = np.where(
            x > 0,
            a / np.maximum(b + x - 1, 1e-12) * ((alpha + big_t) / (alpha + t_x)) ** (r + x),
            0,
        )
        return np.asarray(1 / (1 + odds))
