"""The formulation MILP as arrays: variables, constraint rows and objective, then a HiGHS model.

Variables: ``y_b`` (choose base b), ``w_b`` (its % of the product, 0 unless chosen), ``x_m``
(choose module m, at its fixed inclusion), ``z_k`` (how much of benefit k is met, capped at 1)
and ``q_t`` (choose pH level t, see ``_ph_rows``). Because exactly one ``y_b`` is 1, every
concentration is linear: ``sum_b C_bj w_b / 100 + sum_m A_mj x_m``. The objective is
``scoring.formula_value``; every rule of ``checker.check_formula`` is a constraint here.
``formulations.diagnose`` extends the same arrays with relaxation variables before solving.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
from numpy.typing import NDArray

from formulations._highs import configured_highs
from formulations.index import PHASES, CatalogIndex
from formulations.problem import Candidates, Request
from formulations.scoring import COST_PENALTY, IRRITATION_PENALTY, SKIN_TYPE_BONUS

BIG_PCT = 100.0


@dataclass
class Rows:
    """Constraint rows collected as triplets, then handed to HiGHS in one sparse matrix."""

    rows: list[int]
    cols: list[int]
    vals: list[float]
    lower: list[float]
    upper: list[float]

    def add(self, coefficients: dict[int, float], lower: float, upper: float) -> None:
        row = len(self.lower)
        kept = [(col, float(val)) for col, val in coefficients.items() if val != 0]
        self.rows.extend([row] * len(kept))
        self.cols.extend(col for col, _ in kept)
        self.vals.extend(val for _, val in kept)
        self.lower.append(lower)
        self.upper.append(upper)

    def add_block(
        self,
        rows: NDArray[np.int64],
        cols: NDArray[np.int64],
        lower: NDArray[np.float64] | float,
        upper: NDArray[np.float64] | float,
        n_rows: int,
    ) -> None:
        """Append ``n_rows`` rows of unit coefficients at (``rows``, ``cols``), rows counted
        from 0 (entries of a row keep their order)."""
        first = len(self.lower)
        self.rows.extend((first + np.asarray(rows)).tolist())
        self.cols.extend(np.asarray(cols).tolist())
        self.vals.extend([1.0] * len(rows))
        self.lower.extend(np.broadcast_to(lower, n_rows).tolist())
        self.upper.extend(np.broadcast_to(upper, n_rows).tolist())


@dataclass
class Formulation:
    """A model before it is handed to HiGHS: columns, rows and where each kind of column starts."""

    bases: NDArray[np.int64]
    modules: NDArray[np.int64]
    y0: int  # base choice columns
    w0: int  # base share columns
    x0: int  # module columns
    z0: int  # met-need columns
    q0: int  # pH level columns
    benefits: list[int]  # the benefit (column of BENEFITS) of each met-need column
    objective: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    integer: NDArray[np.bool_]
    rows: Rows
    cost: dict[int, float]  # materials cost per kg as a row, for a cap
    irritation: dict[int, float]  # irritation points as a row, for a budget

    def add_columns(self, n: int, *, integer: bool, upper: float = 1.0) -> int:
        """Append ``n`` columns (objective 0, bounds 0..upper); returns the first one's index."""
        first = len(self.objective)
        self.objective = np.concatenate([self.objective, np.zeros(n)])
        self.lower = np.concatenate([self.lower, np.zeros(n)])
        self.upper = np.concatenate([self.upper, np.full(n, upper)])
        self.integer = np.concatenate([self.integer, np.full(n, integer)])
        return first


def formulation(
    index: CatalogIndex,
    request: Request,
    candidates: Candidates,
    *,
    suits_skin: NDArray[np.bool_],
    force_modules: tuple[int, ...] = (),
    minimise: Literal["irritation", "cost", "nothing"] | None = None,
) -> Formulation:
    """The MILP for these candidates (see ``solver.solve_formula`` for the parameters)."""
    bases, modules = candidates.bases, candidates.modules
    nb, nm = len(bases), len(modules)
    benefit_cols = [k for k, w in enumerate(request.weights) if w > 0]
    y0, w0, x0 = 0, nb, 2 * nb
    z0 = x0 + nm
    q0 = z0 + len(benefit_cols)
    n_cols = q0 + len(ph_levels(index, bases, modules))
    C = index.base_composition[bases]  # (nb, n_ing), % of base
    A = index.module_composition[modules]  # (nm, n_ing), % of product
    rows = Rows([], [], [], [], [])
    rows.add({y0 + b: 1 for b in range(nb)}, 1, 1)
    rows.add(
        {**{w0 + b: 1 for b in range(nb)}, **on(x0, index.module_inclusion[modules])}, 100, 100
    )
    for b in range(nb):
        rows.add({w0 + b: 1, y0 + b: -BIG_PCT}, -np.inf, 0)
        rows.add({w0 + b: 1, y0 + b: -(100 - index.base_capacity_total[bases[b]])}, 0, np.inf)
    rows.add({x0 + m: 1 for m in range(nm)}, -np.inf, request.max_modules)
    # Each active comes from one module: no stacking two niacinamide modules (a brand rule that
    # also gives the solver strong clique constraints).
    actives = index.module_actives[modules]
    for j in np.flatnonzero(actives.sum(axis=0) > 1):
        rows.add(on(x0, actives[:, j].astype(float)), -np.inf, 1)
    for m in force_modules:
        rows.add({x0 + int(np.flatnonzero(modules == m)[0]): 1}, 1, 1)
    _capacity_rows(rows, index, bases, modules, x0, y0)
    _ingredient_rows(rows, index, request, bases, modules, (x0, y0, w0))
    _ph_rows(rows, index, bases, modules, (x0, y0, q0))
    _incompatibility_rows(rows, index, bases, modules, x0, y0)
    irritation = {
        **on(x0, index.module_irritation[modules]),
        **on(w0, index.base_irritation[bases] / 100),
    }
    rows.add(irritation, -np.inf, request.irritation_budget)
    preserve_base = C @ np.where(np.isfinite(index.preservative_mec), 1 / index.preservative_mec, 0)
    preserve_module = A @ np.where(
        np.isfinite(index.preservative_mec), 1 / index.preservative_mec, 0
    )
    rows.add({**on(w0, preserve_base / 100), **on(x0, preserve_module)}, 1, np.inf)
    cost = {**on(w0, index.base_cost[bases] / 100), **on(x0, index.module_cost[modules])}
    if request.cost_cap_per_kg is not None:
        rows.add(cost, -np.inf, request.cost_cap_per_kg)
    for i, k in enumerate(benefit_cols):
        met = {
            **on(x0, -index.module_benefits[modules, k]),
            **on(y0, -index.base_benefits[bases, k]),
        }
        rows.add({z0 + i: 1, **met}, -np.inf, 0)
    objective = np.zeros(n_cols)
    objective[y0 : y0 + nb] = SKIN_TYPE_BONUS * suits_skin
    objective[w0 : w0 + nb] = (
        -IRRITATION_PENALTY * index.base_irritation[bases] / 100
        - COST_PENALTY / 1000 * index.base_cost[bases] / 100
    )
    objective[x0 : x0 + nm] = (
        -IRRITATION_PENALTY * index.module_irritation[modules]
        - COST_PENALTY / 1000 * index.module_cost[modules]
    )
    objective[z0:q0] = request.weights[benefit_cols]
    if minimise == "irritation":
        objective[:] = 0
        objective[w0 : w0 + nb] = -index.base_irritation[bases] / 100
        objective[x0 : x0 + nm] = -index.module_irritation[modules]
    elif minimise == "nothing":
        objective[:] = 0
    elif minimise == "cost":
        objective[:] = 0
        objective[w0 : w0 + nb] = -index.base_cost[bases] / 100
        objective[x0 : x0 + nm] = -index.module_cost[modules]
    lower, upper = np.zeros(n_cols), np.ones(n_cols)
    upper[w0 : w0 + nb] = BIG_PCT
    integer = np.zeros(n_cols, dtype=bool)
    integer[y0 : y0 + nb] = True
    integer[x0 : x0 + nm] = True
    integer[q0:] = True
    return Formulation(
        bases,
        modules,
        y0,
        w0,
        x0,
        z0,
        q0,
        benefit_cols,
        objective,
        lower,
        upper,
        integer,
        rows,
        cost,
        irritation,
    )


def to_highs(model: Formulation, time_limit_s: float) -> highspy.Highs:
    """A HiGHS instance holding ``model`` (maximised), with the service's options."""
    return configured_highs(
        model.objective, model.lower, model.upper, model.integer, model.rows, time_limit_s
    )


def on(first_col: int, values: NDArray[np.float64]) -> dict[int, float]:
    """Coefficients ``values`` on the columns from ``first_col``, zeros left out."""
    values = np.asarray(values, dtype=np.float64)
    nonzero = np.flatnonzero(values)
    return dict(zip((first_col + nonzero).tolist(), values[nonzero].tolist(), strict=True))


def _capacity_rows(
    rows: Rows,
    index: CatalogIndex,
    bases: NDArray[np.int64],
    modules: NDArray[np.int64],
    x0: int,
    y0: int,
) -> None:
    inclusion = index.module_inclusion[modules]
    for k in range(len(PHASES)):
        in_phase = np.where(index.module_phase[modules] == k, inclusion, 0.0)
        rows.add({**on(x0, in_phase), **on(y0, -index.base_capacity[bases, k])}, -np.inf, 0)
    rows.add({**on(x0, inclusion), **on(y0, -index.base_capacity_total[bases])}, -np.inf, 0)


def _ingredient_rows(
    rows: Rows,
    index: CatalogIndex,
    request: Request,
    bases: NDArray[np.int64],
    modules: NDArray[np.int64],
    first_cols: tuple[int, int, int],
) -> None:
    """Each ingredient within the strictest legal maximum and its use range; inclusions met."""
    x0, y0, w0 = first_cols
    C, A = index.base_composition[bases], index.module_composition[modules]
    legal = np.min([index.legal_max[m][bases] for m in request.markets], axis=0)
    cap = np.minimum(legal, index.use_max)  # (nb, n_ing)
    present = (C > 0).any(axis=0) | (A > 0).any(axis=0)
    # A row only where some base's limit can be reached (the richest base and K modules).
    most = C.max(axis=0) + (-np.sort(-A, axis=0))[: request.max_modules].sum(axis=0)
    binding = present & ~np.all(cap >= BIG_PCT, axis=0) & (most > cap.min(axis=0))
    for j in np.flatnonzero(binding):
        limit = np.minimum(cap[:, j], BIG_PCT)
        rows.add({**on(w0, C[:, j] / 100), **on(x0, A[:, j]), **on(y0, -limit)}, -np.inf, 0)
    for ingredient_id, min_pct in request.include:
        column = index.column(ingredient_id)
        rows.add(
            {
                **on(x0, (A[:, column] > 0).astype(float)),
                **on(y0, (C[:, column] > 0).astype(float)),
            },
            1,
            np.inf,
        )
        if min_pct > 0:
            rows.add({**on(w0, C[:, column] / 100), **on(x0, A[:, column])}, min_pct, np.inf)


def _ph_rows(
    rows: Rows,
    index: CatalogIndex,
    bases: NDArray[np.int64],
    modules: NDArray[np.int64],
    cols: tuple[int, int, int],
) -> None:
    """Choose one pH level ``q_t``; every chosen module and the base must accept it.

    Levels are the lower ends of all windows: a set of intervals that overlap has its common
    part start at one of their lower ends, so these levels lose no feasible formula.
    """
    x0, y0, q0 = cols
    module_ph, base_ph = index.module_ph[modules], index.base_ph[bases]
    levels = np.array(ph_levels(index, bases, modules))
    rows.add({q0 + t: 1 for t in range(len(levels))}, 1, 1)
    for first, windows in ((x0, module_ph), (y0, base_ph)):
        # One row per module (base) with a level outside its window: it, or those levels.
        outside = (levels[None, :] < windows[:, :1]) | (levels[None, :] > windows[:, 1:])
        with_rows = np.flatnonzero(outside.any(axis=1))
        r, t = np.nonzero(outside[with_rows])
        rows.add_block(
            np.concatenate([np.arange(len(with_rows)), r]),
            np.concatenate([first + with_rows, q0 + t]),
            -np.inf,
            1.0,
            len(with_rows),
        )


def ph_levels(
    index: CatalogIndex, bases: NDArray[np.int64], modules: NDArray[np.int64]
) -> list[float]:
    """The candidate pH levels of a model (sorted lower ends of every window)."""
    lows = np.concatenate([index.module_ph[modules, 0], index.base_ph[bases, 0]])
    return sorted({float(v) for v in lows})


def _incompatibility_rows(
    rows: Rows,
    index: CatalogIndex,
    bases: NDArray[np.int64],
    modules: NDArray[np.int64],
    x0: int,
    y0: int,
) -> None:
    """Pairs holding an incompatible ingredient pair (precomputed per catalog) never together."""
    module_pairs = index.module_clash[np.ix_(modules, modules)]
    m, n = np.nonzero(np.triu(module_pairs, k=1))
    pair = np.arange(len(m))
    rows.add_block(
        np.concatenate([pair, pair]), np.concatenate([x0 + m, x0 + n]), -np.inf, 1.0, len(m)
    )
    m, b = np.nonzero(index.module_base_clash[np.ix_(modules, bases)])
    pair = np.arange(len(m))
    rows.add_block(
        np.concatenate([pair, pair]), np.concatenate([x0 + m, y0 + b]), -np.inf, 1.0, len(m)
    )
    alone = np.flatnonzero(np.diag(module_pairs))
    rows.add_block(np.arange(len(alone)), x0 + alone, 0.0, 0.0, len(alone))
