"""Solve the formulation MILP (``formulations.model``) with HiGHS and read its answer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib import metadata
from typing import Literal

import highspy
import numpy as np
from numpy.typing import NDArray

from formulations.index import CatalogIndex
from formulations.model import Formulation, formulation, ph_levels, to_highs
from formulations.problem import Candidates, Request

SOLVER_NAME = "HiGHS"
SOLVER_VERSION = metadata.version("highspy")
Status = Literal["optimal", "feasible", "infeasible"]


@dataclass(frozen=True)
class Solution:
    """The solver's answer on catalog-index rows."""

    status: Status
    base_row: int = -1
    module_rows: tuple[int, ...] = ()
    objective: float = float("nan")
    mip_gap: float = float("nan")
    solve_seconds: float = 0.0
    build_seconds: float = 0.0


def solve_formula(
    index: CatalogIndex,
    request: Request,
    candidates: Candidates,
    *,
    suits_skin: NDArray[np.bool_],
    time_limit_s: float = 5.0,
    force_modules: tuple[int, ...] = (),
    minimise: Literal["irritation", "cost", "nothing"] | None = None,
    start: Solution | None = None,
) -> Solution:
    """Choose the best base and modules among ``candidates``.

    Parameters
    ----------
    index : CatalogIndex
        Coefficients of the catalog.
    request : Request
        Hard rules and objective weights.
    candidates : Candidates
        Base rows and module rows that may be used.
    suits_skin : ndarray of shape (n_candidate_bases,)
        Whether each candidate base suits the person's skin type (a small bonus).
    time_limit_s : float
        Wall-clock limit; a feasible incumbent is returned with its gap when reached.
    force_modules : tuple of int
        Module rows that must be chosen.
    minimise : {"irritation", "cost", "nothing"}, optional
        Replace the objective: find the least irritating or cheapest feasible formula (used to
        say how far a budget must be relaxed; the reported objective is then minus that amount),
        or any feasible one ("nothing": a feasibility check, much faster than optimising).
    """
    started = time.perf_counter()
    if len(candidates.bases) == 0:
        return Solution("infeasible")
    model = formulation(
        index,
        request,
        candidates,
        suits_skin=suits_skin,
        force_modules=force_modules,
        minimise=minimise,
    )
    bases, modules = model.bases, model.modules
    nb, nm = len(bases), len(modules)
    y0, x0 = model.y0, model.x0
    highs = to_highs(model, time_limit_s)
    if start is not None and start.status != "infeasible":
        _warm_start(highs, start, index, model)
    build_seconds = time.perf_counter() - started
    highs.run()
    solve_seconds = time.perf_counter() - started - build_seconds
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kInfeasible or not has_solution:
        return Solution("infeasible", solve_seconds=solve_seconds, build_seconds=build_seconds)
    values = np.asarray(highs.getSolution().col_value)
    chosen_base = int(bases[int(np.argmax(values[y0 : y0 + nb]))])
    chosen = tuple(int(modules[m]) for m in range(nm) if values[x0 + m] > 0.5)
    optimal = status == highspy.HighsModelStatus.kOptimal
    return Solution(
        status="optimal" if optimal else "feasible",
        base_row=chosen_base,
        module_rows=chosen,
        objective=float(info.objective_function_value),
        mip_gap=float(info.mip_gap) if np.isfinite(info.mip_gap) else 0.0,
        solve_seconds=solve_seconds,
        build_seconds=build_seconds,
    )


def _warm_start(
    highs: highspy.Highs, start: Solution, index: CatalogIndex, model: Formulation
) -> None:
    """Offer a known formula (a base and modules) as the first incumbent, every column filled
    in; HiGHS ignores it if it breaks a constraint. A good incumbent lets it fix modules by
    reduced cost at the root."""
    bases, modules = model.bases, model.modules
    y0, w0, x0, z0, q0 = model.y0, model.w0, model.x0, model.z0, model.q0
    nm = len(modules)
    benefit_cols = model.benefits
    chosen = list(start.module_rows)
    if start.base_row not in bases or not set(chosen) <= set(modules.tolist()):
        return
    values = np.zeros(len(model.objective))
    b = int(np.flatnonzero(bases == start.base_row)[0])
    values[y0 + b] = 1
    values[w0 + b] = 100 - index.module_inclusion[chosen].sum()
    values[x0 : x0 + nm] = np.isin(modules, chosen)
    met = index.base_benefits[start.base_row] + index.module_benefits[chosen].sum(axis=0)
    values[z0:q0] = np.minimum(met[benefit_cols], 1.0)
    levels = ph_levels(index, bases, modules)
    low = max([index.base_ph[start.base_row, 0], *index.module_ph[chosen, 0]])
    if low not in levels:
        return
    values[q0 + levels.index(float(low))] = 1
    solution = highspy.HighsSolution()
    solution.col_value = values.tolist()
    solution.value_valid = True
    highs.setSolution(solution)
