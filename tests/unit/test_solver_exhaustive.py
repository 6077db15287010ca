"""The solver against brute force on small catalogs (<= 40 modules, no pruning).

The enumeration below shares only the objective's definition (``formulations.scoring``) with
the solver. Feasibility comes from the independent checker: every base and every set of at
most K modules is scored, and the best one the checker accepts (at a pH every ingredient
tolerates, worked out here) must have the solver's objective; when none is accepted, the
solver must say infeasible.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from formulations.catalog import Catalog, load_catalog
from formulations.checker import CheckLimits, check_formula
from formulations.engine import solve
from formulations.needs import FormulationNeeds, benefit_weights
from formulations.problem import FormulationPolicy, resolve_request, select_candidates
from formulations.sampling import random_needs
from formulations.schema import BENEFITS
from formulations.scoring import (
    COST_PENALTY,
    IRRITATION_PENALTY,
    SKIN_TYPE_BONUS,
    base_coefficients,
    module_coefficients,
)
from skinlab.errors import InvalidInput

CASES = 200


def small_catalog(full: Catalog, rng: np.random.Generator, size: int) -> Catalog:
    """``size`` random modules of the shipped catalog (plus up to 4), under their own version.

    Half the time two modules with each side of a declared incompatibility are added, so that
    rule is exercised too (random picks rarely bring both sides of a pair).
    """
    ids = set(rng.choice(sorted(full.modules), size=size, replace=False).tolist())
    if rng.random() < 0.5:
        pairs = sorted(
            (ing.id, other.id)
            for ing in full.ingredients.values()
            for other in ing.incompatible_with
        )
        first, second = pairs[int(rng.integers(len(pairs)))]
        for side in (first, second):
            having = sorted(m.id for m in full.modules.values() if side in m.actives)
            if having:
                ids |= set(rng.choice(having, size=min(2, len(having)), replace=False).tolist())
    chosen = sorted(ids)
    version = f"{full.version}-small-{abs(hash(tuple(chosen))):x}"
    return replace(full, version=version, modules={i: full.modules[i] for i in chosen})


def ph_window(catalog: Catalog, base_id: str, module_ids: tuple[str, ...]) -> tuple[float, float]:
    base = catalog.bases[base_id]
    low, high = base.ph_adjustable
    in_base = {c.id for c in base.composition}
    for module_id in module_ids:
        for part in catalog.modules[module_id].composition:
            if part.id not in in_base and part.id != "water":
                part_low, part_high = catalog.ingredients[part.id].ph_range
                low, high = max(low, part_low), min(high, part_high)
    return low, high


def brute_force(
    catalog: Catalog, needs: FormulationNeeds, limits: CheckLimits, bases: list[str]
) -> float | None:
    """The best objective over every base and module set the checker accepts (None if none)."""
    weights = benefit_weights(needs)
    w = np.array([weights.get(b, 0.0) for b in BENEFITS])
    ids = sorted(catalog.modules)
    coefs = [module_coefficients(catalog, catalog.modules[i]) for i in ids]
    benefit = np.array([[c.benefits.get(b, 0.0) for b in BENEFITS] for c in coefs])
    penalty = np.array(
        [IRRITATION_PENALTY * c.irritation + COST_PENALTY * c.cost_per_kg / 1000 for c in coefs]
    )
    inclusion = np.array([catalog.modules[i].inclusion_pct for i in ids])
    scored: list[tuple[float, str, tuple[str, ...]]] = []
    for base_id in bases:
        base = catalog.bases[base_id]
        bc = base_coefficients(catalog, base)
        base_benefit = np.array([bc.benefits.get(b, 0.0) for b in BENEFITS])
        bonus = SKIN_TYPE_BONUS if needs.skin_type in base.suits_skin_types else 0.0
        for k in range(limits.max_modules + 1):
            for combo in itertools.combinations(range(len(ids)), k):
                rows = list(combo)
                if inclusion[rows].sum() > base.capacity_total_pct + 1e-9:
                    continue  # the checker would refuse it; skipping only saves time
                share = 100 - inclusion[rows].sum()
                met = np.minimum(base_benefit + benefit[rows].sum(axis=0), 1.0)
                value = (
                    float(met @ w)
                    + bonus
                    - IRRITATION_PENALTY * bc.irritation * share / 100
                    - COST_PENALTY * bc.cost_per_kg * share / 100 / 1000
                    - float(penalty[rows].sum())
                )
                scored.append((value, base_id, tuple(ids[r] for r in rows)))
    scored.sort(key=lambda item: -item[0])
    for value, base_id, module_ids in scored:
        low, high = ph_window(catalog, base_id, module_ids)
        if low > high:
            continue
        if not check_formula(catalog, needs, limits, base_id, list(module_ids), low):
            return value
    return None


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize("chunk", range(4))
def test_solver_matches_brute_force_on_small_catalogs(shipped: Catalog, chunk: int) -> None:
    rng = np.random.default_rng(20261123 + chunk)
    agreed = feasible = 0
    for _case in range(CASES // 4):
        catalog = small_catalog(shipped, rng, int(rng.integers(12, 37)))
        assert len(catalog.modules) <= 40
        needs = random_needs(rng, catalog)
        policy = FormulationPolicy(max_modules=int(rng.integers(2, 5)))
        try:
            request = resolve_request(catalog, needs, policy)
        except InvalidInput:
            continue  # contradictory by construction: no model is built
        candidates = select_candidates(catalog, request, policy, prune=False)
        solution = solve(catalog, request, candidates, policy)
        limits = CheckLimits(
            request.max_modules, request.irritation_budget, request.cost_cap_per_kg
        )
        expected = brute_force(catalog, needs, limits, list(request.base_ids))
        if expected is None:
            assert solution.status == "infeasible", needs
        else:
            assert solution.status == "optimal", needs
            assert solution.objective == pytest.approx(expected, abs=1e-6), needs
            feasible += 1
        agreed += 1
    assert agreed >= CASES // 4 - 10  # only contradictory needs are skipped
    assert feasible >= agreed // 3  # the comparison is mostly about optima, not infeasibility
