"""Drift between a model's training data and what it sees now: PSI per variable, KS on scores.

A *reference* (:mod:`training.drift_reference`) summarises the training data beside the model:
per variable, its decile bins with their shares, 101 percentiles and the mean. A *report*
compares current values with it.

- **PSI** (population stability index) per variable, on the reference's quantile bins plus a
  bin for missing values (NaN or infinite): ``sum((q - p) * ln(q / p))`` over bins, ``p`` the
  reference share and ``q`` the current one. An empty bin would make the logarithm infinite, so
  both shares are floored at ``EPSILON`` (1e-4) first; a bin empty on both sides adds 0. A
  constant variable has one cut point (its value): any change of value moves all mass to the
  other bin, which reads as drifted, as it should.
- **Ratings** use the customary credit-scoring thresholds: PSI below 0.1 *stable*, 0.1 to 0.25
  *watch*, above 0.25 *drifted* (N. Siddiqi, *Credit Risk Scorecards*, Wiley 2006;
  B. Yurdakul, *Statistical Properties of Population Stability Index*, Western Michigan
  University 2018, which also shows that PSI under no change grows with the number of bins and
  falls as the samples grow, so small samples read as drift more easily: the report gives each
  ``n`` and warns below ``MIN_CURRENT`` (100) current values).
- **Score shift**: for score variables, also the two-sample Kolmogorov-Smirnov statistic
  (``scipy.stats.ks_2samp``) between the current values and the reference's 101 percentiles,
  which stand for the training distribution to within 0.01 of its CDF; the p-value is the
  asymptotic Kolmogorov one with the real sample sizes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import ks_2samp, kstwobign

from training.drift_reference import (
    REFERENCE_FILE,
    DriftReference,
    MissingReference,
    VariableReference,
    bin_shares,
    compact,
    reference_from_columns,
    split_missing,
)

EPSILON = 1e-4
WATCH, DRIFTED = 0.1, 0.25
# Below this many current values a 10-bin PSI is mostly sampling noise (each empty bin alone
# adds about 0.7): the report still computes it but warns.
MIN_CURRENT = 100
Rating = Literal["stable", "watch", "drifted", "no_data"]


def psi(reference: ArrayLike, current: ArrayLike, epsilon: float = EPSILON) -> float:
    """Population stability index of two share vectors over the same bins (floored at epsilon)."""
    p = np.maximum(np.asarray(reference, dtype=np.float64), epsilon)
    q = np.maximum(np.asarray(current, dtype=np.float64), epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def rate(value: float | None) -> Rating:
    """``stable`` below ``WATCH`` (0.1), ``drifted`` above ``DRIFTED`` (0.25), else ``watch``."""
    if value is None:
        return "no_data"
    if value < WATCH:
        return "stable"
    return "drifted" if value > DRIFTED else "watch"


def score_shift(variable: VariableReference, values: ArrayLike) -> dict[str, float | None]:
    """KS statistic and p-value of the current values against the reference percentiles."""
    finite, _missing, _total = split_missing(values)
    if not finite.size or not variable.percentiles:
        return {"ks": None, "ks_pvalue": None}
    statistic = float(ks_2samp(np.asarray(variable.percentiles), finite).statistic)
    n_eff = variable.n * finite.size / (variable.n + finite.size)
    return {
        "ks": compact(statistic),
        "ks_pvalue": compact(float(kstwobign.sf(statistic * n_eff**0.5))),
    }


def compare_variable(variable: VariableReference, values: ArrayLike) -> dict[str, Any]:
    """PSI, rating and both bin distributions of one variable (KS too for scores)."""
    finite, missing, total = split_missing(values)
    shares = bin_shares(variable.edges, values)
    value = psi(variable.shares, shares) if total else None
    row: dict[str, Any] = {
        "name": variable.name,
        "label": variable.label,
        "kind": variable.kind,
        "psi": None if value is None else compact(value),
        "rating": rate(value),
        "n_reference": variable.n,
        "n_current": total,
        "missing_current": missing,
        "mean_reference": variable.mean,
        "mean_current": compact(float(finite.mean())) if finite.size else None,
        "edges": list(variable.edges),
        "shares_reference": list(variable.shares),
        "shares_current": [compact(s) for s in shares],
    }
    if variable.kind == "score":
        row.update(score_shift(variable, values))
    return row


def drift_report(
    reference: DriftReference,
    current: Mapping[str, ArrayLike],
    *,
    current_source: str,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Compare current values with the reference, variable by variable.

    Parameters
    ----------
    reference : DriftReference
        The training data's summary.
    current : mapping of str to array-like
        Current values by variable name, each of shape ``(n_samples,)``; a reference variable
        missing here is reported with rating ``no_data``.
    current_source : str
        Where the current values came from, for people.
    details : mapping, optional
        More facts about the current data (window, counts, model versions).

    Returns
    -------
    dict
        JSON-serialisable: the model, both sources, the thresholds, a count of variables per
        rating, and one row per variable (scores first, then by decreasing PSI).
    """
    rows = [
        compare_variable(variable, current.get(name, np.zeros(0)))
        for name, variable in reference.variables.items()
    ]
    rows.sort(key=lambda r: (r["kind"] != "score", -(r["psi"] if r["psi"] is not None else -1)))
    counts = {rating: 0 for rating in ("stable", "watch", "drifted", "no_data")}
    for row in rows:
        counts[row["rating"]] += 1
    smallest = min((row["n_current"] for row in rows if row["n_current"]), default=0)
    warnings: list[str] = []
    if 0 < smallest < MIN_CURRENT:
        warnings.append(
            f"Only {smallest} current values (fewer than {MIN_CURRENT}): PSI is dominated by "
            "sampling noise and empty bins, so ratings overstate drift."
        )
    return {
        "model": reference.model,
        "model_version": reference.model_version,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reference": {
            "source": reference.source,
            "created_at": reference.created_at,
            "details": reference.details,
        },
        "current": {"source": current_source, "details": dict(details or {})},
        "method": {
            "bins": "reference deciles (deduplicated) plus one bin for missing values",
            "epsilon": EPSILON,
            "thresholds": {"watch": WATCH, "drifted": DRIFTED},
            "min_current": MIN_CURRENT,
            "ks": "scipy.stats.ks_2samp against the reference's 101 percentiles",
        },
        "summary": counts,
        "warnings": warnings,
        "variables": rows,
    }


def worst(report: Mapping[str, Any], k: int = 5) -> list[str]:
    """Names of the ``k`` variables with the highest PSI rated watch or drifted."""
    flagged = [r for r in report["variables"] if r["rating"] in ("watch", "drifted")]
    flagged.sort(key=lambda r: -float(r["psi"]))
    return [r["name"] for r in flagged[:k]]


__all__ = [
    "REFERENCE_FILE",
    "DriftReference",
    "MissingReference",
    "VariableReference",
    "bin_shares",
    "drift_report",
    "psi",
    "rate",
    "reference_from_columns",
    "worst",
]
