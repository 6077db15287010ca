"""``formulate``: needs in, a checked formula out (or a clear reason why none exists).

Steps: resolve the needs, select and prune candidates, solve the MILP, choose the pH, check the
result with the independent checker, then render label, warnings, compounding sheet and reasons.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from formulations.bound import catalog_bound
from formulations.catalog import Catalog
from formulations.checker import CheckLimits, check_formula, composition_of
from formulations.diagnose import diagnose_infeasible
from formulations.explain import left_out, module_reasons, need_bases
from formulations.index import CatalogIndex, catalog_index
from formulations.needs import FormulationNeeds
from formulations.problem import (
    PRUNING_RULE,
    Candidates,
    FormulationPolicy,
    Request,
    resolve_request,
    select_candidates,
)
from formulations.render import compounding_sheet, ingredient_lines, labels, target_ph, warnings_for
from formulations.result import (
    BaseChoice,
    Cost,
    Formula,
    ModuleChoice,
    NeedMet,
    SolverReport,
    Versions,
)
from formulations.schema import BENEFITS, Benefit
from formulations.scoring import irritation_points, materials_cost
from formulations.sku import code_for, normal_form
from formulations.solver import SOLVER_NAME, SOLVER_VERSION, Solution, solve_formula
from formulations.start import best_start
from skinlab.errors import SkinlabError

ENGINE_VERSION = "formulations-1"


class FormulaCheckFailed(SkinlabError):
    """The solver produced a formula the checker refuses: a bug, never shown as a formula."""

    status = 500
    code = "FORMULA_CHECK_FAILED"
    message = "The formula failed the safety check and was not issued."
    message_zh = "配方未通过安全校验，未出单。"


@dataclass(frozen=True)
class Timings:
    """Where a request's time went, in seconds."""

    total: float
    solve: float  # the MILP's HiGHS run
    build: float
    bound: float = 0.0  # the HiGHS runs of the catalog bound's LPs


def formulate(
    catalog: Catalog,
    needs: FormulationNeeds,
    policy: FormulationPolicy,
    *,
    skin_model_version: str | None = None,
) -> tuple[Formula, Timings]:
    """Solve and check the best formula for ``needs``.

    Parameters
    ----------
    catalog : Catalog
        Ingredients, bases and modules.
    needs : FormulationNeeds
        The request; ``scores`` must already be filled in when it names an analysis.
    policy : FormulationPolicy
        K, irritation budgets, price markup, pruning size and time limit.
    skin_model_version : str, optional
        Version of the skin model whose scores were used, recorded on the formula.

    Raises
    ------
    InvalidInput
        The needs name something unknown or prohibited, or contradict each other.
    InfeasibleFormula
        No formula meets every hard rule; ``details`` name the conflict and the relaxations.
    """
    started = time.perf_counter()
    request = resolve_request(catalog, needs, policy)
    index = catalog_index(catalog)
    solved = solve_request(catalog, request, policy)
    candidates, solution = solved.candidates, solved.solution
    if solution.status == "infeasible":
        # Pruning may have dropped the only modules that fit: only the full catalog can say no.
        error = diagnose_infeasible(catalog, needs, policy)
        if error is not None:
            raise error
        candidates = select_candidates(catalog, request, policy, prune=False)
        solution = solve(catalog, request, candidates, policy)
    if solution.status == "infeasible":
        # The diagnosis found a formula that the full solve did not (never seen): a bug.
        message = "the full-catalog solve found no formula where the diagnosis found one"
        raise FormulaCheckFailed(details={"violations": [{"rule": "solver", "message": message}]})
    base = catalog.bases[index.base_ids[solution.base_row]]
    modules = [catalog.modules[index.module_ids[r]] for r in solution.module_rows]
    gap = (solved.bound, solved.gap) if solved.candidates is candidates else (None, None)
    if solution.status == "optimal" and not candidates.pruned:
        gap = (solution.objective, 0.0)  # nothing was pruned: optimal over the whole catalog
    ph, window = target_ph(base, modules, catalog)
    violations = check_formula(
        catalog, needs, check_limits(request), base.id, [m.id for m in modules], ph
    )
    if violations:
        raise FormulaCheckFailed(details={"violations": [vars(v) for v in violations]})
    totals = composition_of(catalog, base, modules)
    lines = ingredient_lines(catalog, totals)
    label_inci, label_zh = labels(lines)
    weights = dict(zip(BENEFITS, request.weights.tolist(), strict=True))
    met = _needs_met(index, solution, weights)
    irritation = irritation_points(catalog, totals)
    cost_per_kg = materials_cost(catalog, totals)
    materials = cost_per_kg * needs.bottle_ml / 1000
    scores = {str(k): float(v) for k, v in (needs.scores or {}).items()}
    formula = Formula(
        sku=code_for(normal_form(base.id, [m.id for m in modules], ph, totals)),
        product_type=base.product_type,
        base=BaseChoice(
            id=base.id,
            name=base.name,
            name_zh=base.name_zh,
            product_type=base.product_type,
            share_pct=round(100 - sum(m.inclusion_pct for m in modules), 4),
        ),
        modules=[
            ModuleChoice(
                id=m.id,
                name=m.name,
                name_zh=m.name_zh,
                phase=m.phase,
                inclusion_pct=m.inclusion_pct,
                actives=dict(m.actives),
                benefits={
                    b: round(float(index.module_benefits[r, k]), 3)
                    for k, b in enumerate(BENEFITS)
                    if index.module_benefits[r, k] > 0
                },
                reasons=module_reasons(
                    catalog,
                    m,
                    dict(zip(BENEFITS, index.module_benefits[r].tolist(), strict=True)),
                    weights,
                    scores,
                    need_bases(needs.skin_type, needs.sensitive),
                ),
            )
            for m, r in zip(modules, solution.module_rows, strict=True)
        ],
        ingredients=lines,
        label_inci=label_inci,
        label_zh=label_zh,
        ph=ph,
        ph_window=window,
        markets=list(request.markets),
        warnings=warnings_for(catalog, totals, irritation, request.irritation_budget, base.area),
        compounding=compounding_sheet(base, modules, ph, window, needs.bottle_ml),
        cost=Cost(
            materials_rmb_per_kg=round(cost_per_kg, 2),
            materials_rmb=round(materials, 2),
            price_rmb=round(materials * policy.price_markup, 2),
        ),
        irritation_points=round(irritation, 3),
        irritation_budget=request.irritation_budget,
        needs=met,
        left_out=left_out(
            catalog,
            index,
            candidates.values,
            solution.module_rows,
            candidates.excluded,
            ph,
            request.max_modules,
        ),
        solver=SolverReport(
            name=SOLVER_NAME,
            version=SOLVER_VERSION,
            status=solution.status,
            objective=round(solution.objective, 6),
            mip_gap=solution.mip_gap,
            candidates=len(candidates.modules),
            pruned=candidates.pruned,
            pruning_rule=PRUNING_RULE.format(n=policy.candidates_per_benefit),
            build_ms=round(solution.build_seconds * 1000, 3),
            solve_ms=round(solution.solve_seconds * 1000, 3),
            catalog_bound=None if gap[0] is None else round(gap[0], 6),
            catalog_gap=None if gap[1] is None else round(gap[1], 6),
        ),
        versions=Versions(
            catalog=catalog.version,
            solver=f"{SOLVER_NAME} {SOLVER_VERSION}",
            engine=ENGINE_VERSION,
            skin_model=skin_model_version,
        ),
    )
    total = time.perf_counter() - started
    return formula, Timings(
        total, solution.solve_seconds, solution.build_seconds, solved.bound_seconds
    )


@dataclass(frozen=True)
class Solved:
    """The MILP's answer on the pruned candidates and what is proven about the whole catalog."""

    solution: Solution
    candidates: Candidates
    bound: float | None  # no formula of the catalog is worth more (None: not proven)
    gap: float | None  # (bound - objective) / |objective|
    bound_seconds: float  # HiGHS time of the bound's LPs


def solve_request(catalog: Catalog, request: Request, policy: FormulationPolicy) -> Solved:
    """Prune, bound the whole catalog (``policy.catalog_bound``), solve the MILP.

    Any formula better than the MILP's optimum uses a module pruning left out, so its value is
    at most ``CatalogBound.missed``. (Adding the modules the LP uses to the candidates was
    measured: mean loss to the unpruned optimum 0.66 -> 0.48 % on 60 requests, worst case
    unchanged, whole request p50 +3 ms; not kept.)
    """
    index = catalog_index(catalog)
    candidates = select_candidates(catalog, request, policy)
    bound = None
    if policy.catalog_bound and len(candidates.bases):
        suits = suits_skin(catalog, request, candidates.bases)
        bound = catalog_bound(index, request, candidates.bases, candidates.allowed, suits)
    solution = solve(catalog, request, candidates, policy)
    best = gap = None
    if bound is not None and solution.status == "optimal":
        best = max(solution.objective, bound.missed(candidates.modules))
        if np.isfinite(best):
            gap = (best - solution.objective) / max(abs(solution.objective), 1e-9)
        else:
            best = None
    seconds = 0.0 if bound is None else bound.lp_seconds
    return Solved(solution, candidates, best, gap, seconds)


def solve(
    catalog: Catalog,
    request: Request,
    candidates: Candidates,
    policy: FormulationPolicy,
    *,
    minimise: Literal["irritation", "cost", "nothing"] | None = None,
) -> Solution:
    """Solve the MILP for these candidates (the base-suits-skin bonus filled in here)."""
    index = catalog_index(catalog)
    suits = suits_skin(catalog, request, candidates.bases)
    start = None
    if minimise is None and len(candidates.bases):
        found = best_start(
            index, request, candidates.bases, suits, candidates.modules, candidates.paths
        )
        if found is not None:
            start = Solution("feasible", base_row=found.base_row, module_rows=found.module_rows)
    return solve_formula(
        index,
        request,
        candidates,
        suits_skin=suits,
        time_limit_s=policy.time_limit_s,
        minimise=minimise,
        start=start,
    )


def suits_skin(catalog: Catalog, request: Request, bases: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Whether each base row suits the person's skin type (the objective's small bonus)."""
    index = catalog_index(catalog)
    skin_type = request.needs.skin_type
    return np.array(
        [
            skin_type is not None and skin_type in catalog.bases[index.base_ids[b]].suits_skin_types
            for b in bases
        ],
        dtype=bool,
    )


def check_limits(request: Request) -> CheckLimits:
    """The policy numbers of a request, as the checker takes them."""
    return CheckLimits(
        max_modules=request.max_modules,
        irritation_budget=request.irritation_budget,
        cost_cap_per_kg=request.cost_cap_per_kg,
    )


def _needs_met(
    index: CatalogIndex, solution: Solution, weights: Mapping[str, float]
) -> dict[Benefit, NeedMet]:
    met = index.base_benefits[solution.base_row].copy()
    for row in solution.module_rows:
        met += index.module_benefits[row]
    return {
        b: NeedMet(weight=round(weights[b], 3), met=round(float(min(1.0, met[k])), 3))
        for k, b in enumerate(BENEFITS)
        if weights[b] > 0
    }
