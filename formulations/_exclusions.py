"""Which modules a request rules out before any solving, and why (for the explanation)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from formulations.index import CatalogIndex

if TYPE_CHECKING:
    from formulations.problem import Request


def banned_columns(index: CatalogIndex, request: Request) -> NDArray[np.bool_]:
    """Ingredient columns the request bans (allergies, exclusions, pregnancy safety)."""
    banned = np.array([i in request.avoid for i in index.ingredient_ids])
    for flag in request.banned_flags:
        if flag in index.flags:
            banned |= index.flags[flag]
    if request.needs.pregnancy_safe and "pregnancy_caution" in index.flags:
        banned |= index.flags["pregnancy_caution"]
    return banned


def module_exclusions(
    index: CatalogIndex,
    request: Request,
    banned_columns: NDArray[np.bool_],
    base_rows: NDArray[np.int64],
) -> NDArray[np.int64]:
    """Why each module cannot be used at all: an index into ``EXCLUSION_REASONS`` (0 = usable).

    The first reason that applies wins, in the order of ``EXCLUSION_REASONS``.
    """
    n = len(index.module_ids)
    if len(base_rows) == 0:
        return np.full(n, len(EXCLUSION_REASONS) - 1, dtype=np.int64)
    legal = np.min([index.legal_max[m][base_rows] for m in request.markets], axis=0)
    cap = np.minimum(legal, index.use_max).max(axis=0)  # most lenient allowed base
    capacity = index.base_capacity[base_rows].max(axis=0)
    ph_low, ph_high = index.base_ph[base_rows, 0].min(), index.base_ph[base_rows, 1].max()
    present = index.module_composition > 0
    none = np.zeros(n, dtype=bool)
    checks = [
        np.isin(index.module_ids, list(request.out_of_stock)) if request.out_of_stock else none,
        (present & banned_columns).any(axis=1),
        (index.module_composition > cap + 1e-9).any(axis=1),
        index.module_inclusion > capacity[index.module_phase] + 1e-9,
        index.module_irritation > request.irritation_budget + 1e-9,
        (index.module_ph[:, 0] > ph_high) | (index.module_ph[:, 1] < ph_low),
    ]
    codes = np.zeros(n, dtype=np.int64)
    for code, hit in reversed(list(enumerate(checks, start=1))):
        codes[hit] = code
    return codes


# (English, Chinese) for each exclusion code of ``module_exclusions``; index 0 is "usable".
EXCLUSION_REASONS: tuple[tuple[str, str], ...] = (
    ("", ""),
    ("out of stock in this store", "本门店缺货"),
    ("contains an ingredient this person avoids or must not use", "含有该顾客需避免的成分"),
    (
        "an ingredient is over the limit for these products and markets",
        "有成分超出该产品与市场的限量",
    ),
    ("needs more room in its phase than the base has", "所需添加量超出基底该相的容量"),
    ("too irritating on its own for this person's budget", "单独使用即超出该顾客的刺激性上限"),
    ("its pH window does not overlap any allowed base", "其pH范围与可选基底不重叠"),
    ("no base is available", "没有可用的基底"),
)
