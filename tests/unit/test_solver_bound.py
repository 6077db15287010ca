"""The proven catalog bound (``formulations.bound``) against real solves of the full catalog.

Pruning keeps about 60 of the 1011 modules; the bound claims that no formula of the whole
catalog beats the pruned optimum by more than ``catalog_gap``. These tests try to catch it
lying: the unpruned optimum, and the best formula forced to hold a dropped module, must never
exceed what it claims.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from formulations.bound import catalog_bound
from formulations.catalog import Catalog, load_catalog
from formulations.engine import formulate, solve, solve_request, suits_skin
from formulations.index import catalog_index
from formulations.problem import FormulationPolicy, resolve_request, select_candidates
from formulations.sampling import random_needs
from formulations.solver import solve_formula


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize("seed", range(4))
def test_the_unpruned_optimum_never_beats_the_bound(catalog: Catalog, seed: int) -> None:
    policy = FormulationPolicy()
    needs = random_needs(np.random.default_rng(seed), catalog, hard=False)
    request = resolve_request(catalog, needs, policy)
    solved = solve_request(catalog, request, policy)
    full = solve(catalog, request, select_candidates(catalog, request, policy, prune=False), policy)
    assert solved.solution.status == full.status == "optimal"
    assert solved.bound is not None and solved.gap is not None
    assert solved.solution.objective <= full.objective + 1e-7
    assert full.objective <= solved.bound + 1e-7
    assert solved.gap == pytest.approx(
        (solved.bound - solved.solution.objective) / solved.solution.objective
    )


@pytest.mark.parametrize("seed", range(3))
def test_a_formula_holding_a_dropped_module_is_worth_at_most_its_bound(
    catalog: Catalog, seed: int
) -> None:
    policy = FormulationPolicy()
    index = catalog_index(catalog)
    needs = random_needs(np.random.default_rng(100 + seed), catalog, hard=False)
    request = resolve_request(catalog, needs, policy)
    pruned = select_candidates(catalog, request, policy)
    suits = suits_skin(catalog, request, pruned.bases)
    bound = catalog_bound(index, request, pruned.bases, pruned.allowed, suits)
    dropped = np.setdiff1d(pruned.allowed, pruned.modules)
    # the dropped modules the bound rates highest: the likeliest to expose a wrong bound
    for module in dropped[np.argsort(-bound.module_bound[dropped], kind="stable")][:3]:
        with_it = replace(pruned, modules=np.union1d(pruned.modules, [module]))
        forced = solve_formula(
            index, request, with_it, suits_skin=suits, force_modules=(int(module),)
        )
        if forced.status != "infeasible":
            assert forced.objective <= bound.module_bound[module] + 1e-7


def test_the_answer_reports_the_proven_gap(catalog: Catalog) -> None:
    policy = FormulationPolicy()
    needs = random_needs(np.random.default_rng(7), catalog, hard=False)
    formula, timings = formulate(catalog, needs, policy)
    report = formula.solver
    assert report.catalog_bound is not None and report.catalog_gap is not None
    assert report.catalog_bound >= report.objective - 1e-9
    assert report.catalog_gap >= 0
    assert timings.bound > 0
    off, _ = formulate(catalog, needs, replace(policy, catalog_bound=False))
    assert off.solver.catalog_bound is None and off.solver.catalog_gap is None


def test_the_bound_does_not_depend_on_earlier_requests(catalog: Catalog) -> None:
    policy = FormulationPolicy()
    index = catalog_index(catalog)
    rng = np.random.default_rng(11)
    requests = [resolve_request(catalog, random_needs(rng, catalog), policy) for _ in range(12)]

    def bounds(order: list[int]) -> dict[int, np.ndarray]:
        out = {}
        for i in order:
            pruned = select_candidates(catalog, requests[i], policy)
            suits = suits_skin(catalog, requests[i], pruned.bases)
            found = catalog_bound(index, requests[i], pruned.bases, pruned.allowed, suits)
            out[i] = found.module_bound
        return out

    forward, backward = bounds(list(range(12))), bounds(list(range(11, -1, -1)))
    for i in range(12):
        np.testing.assert_array_equal(forward[i], backward[i])
