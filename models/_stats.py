"""Order statistics by sorting: numpy sorts with SIMD, several times faster than it selects.

On this machine ``np.sort`` of 50,000 float32 values takes about 0.15 ms where ``np.median``
takes 0.47 ms (its partition is not vectorised), so every median and percentile of the skin
measurements sorts once and reads its quantiles off the sorted values. The results are those of
``np.quantile(..., method="linear")``, computed in double precision.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def sorted_quantile(ordered: NDArray[np.floating], q: float) -> float:
    """The ``q`` quantile (0-1, linear interpolation) of values already sorted ascending.

    Parameters
    ----------
    ordered : ndarray of shape (n_values,)
        Sorted ascending, not empty.
    q : float
        In [0, 1].
    """
    position = q * (ordered.size - 1)
    low = int(position)
    high = min(low + 1, ordered.size - 1)
    below, above = float(ordered[low]), float(ordered[high])
    return below + (above - below) * (position - low)


def median(values: NDArray[np.floating]) -> float:
    """Median of a non-empty 1-D array."""
    return sorted_quantile(np.sort(values), 0.5)


def column_medians(values: NDArray[np.floating]) -> NDArray[np.float64]:
    """Median of each column of a non-empty ``(n_values, n_columns)`` array."""
    ordered = np.sort(values.T, axis=1)
    return np.array([sorted_quantile(column, 0.5) for column in ordered])


def uint8_quantile(values: NDArray[np.uint8], q: float) -> float:
    """``sorted_quantile(np.sort(values), q)`` for 8-bit values, from their histogram (no sort).

    Parameters
    ----------
    values : ndarray of uint8
        Not empty.
    q : float
        In [0, 1].
    """
    # cumulative[v] = how many values are <= v; the k-th smallest is the first v with more than k.
    cumulative = np.cumsum(np.bincount(values.ravel(), minlength=256))
    position = q * (values.size - 1)
    low = int(position)
    high = min(low + 1, values.size - 1)
    below, above = (float(np.searchsorted(cumulative, k, side="right")) for k in (low, high))
    return below + (above - below) * (position - low)


def multiset_median(values: NDArray[np.floating], counts: NDArray[np.integer]) -> float:
    """``median`` of the values repeated ``counts`` times, without building them.

    For data with few distinct values (8-bit codes): the same result as ``median`` of the
    expanded array, since it reads the same two order statistics.
    """
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(counts[order])
    total = int(cumulative[-1])
    position = 0.5 * (total - 1)
    low = int(position)
    high = min(low + 1, total - 1)
    below, above = (
        float(values[order[np.searchsorted(cumulative, k, side="right")]]) for k in (low, high)
    )
    return below + (above - below) * (position - low)
