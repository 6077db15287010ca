"""``skinlab bench formulate``: solve times on the full catalog, and a safety sweep.

For ``n`` random requests (``formulations.sampling``) it times ``formulate`` end to end
(resolve, prune, bound, build, solve, check, render) and, inside it, the bare HiGHS run of the
MILP and the HiGHS runs of the catalog bound's LPs; what is left is the service overhead. Every
formula is checked by the independent checker (``violations`` counts refusals; ``formulate``
itself refuses to return one). On a sample it also solves without pruning, to measure what
pruning costs in objective and to check the proven catalog bound against the true optimum.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np
from tqdm import tqdm

from formulations.catalog import Catalog
from formulations.checker import check_formula
from formulations.engine import FormulaCheckFailed, check_limits, formulate, solve, solve_request
from formulations.problem import FormulationPolicy, resolve_request, select_candidates
from formulations.sampling import random_needs
from formulations.solver import SOLVER_NAME, SOLVER_VERSION
from skinlab.errors import InfeasibleFormula, InvalidInput


def bench_formulate(
    catalog: Catalog,
    policy: FormulationPolicy,
    *,
    n: int = 1000,
    regret_sample: int = 100,
    seed: int = 20261123,
    progress: bool = True,
) -> dict[str, Any]:
    """Run the benchmark and return its report (all times in milliseconds)."""
    rng = np.random.default_rng(seed)
    totals: list[float] = []
    solves: list[float] = []
    bounds: list[float] = []
    refusals: list[float] = []  # whole requests answered 422 INFEASIBLE_FORMULA (diagnosis incl.)
    violations = infeasible = invalid = 0
    formulate(catalog, random_needs(rng, catalog, hard=False), policy)  # warm caches
    started = time.perf_counter()
    for _ in tqdm(range(n), desc="formulate", disable=not progress, file=sys.stderr):
        needs = random_needs(rng, catalog)
        asked = time.perf_counter()
        try:
            formula, timings = formulate(catalog, needs, policy)
        except InfeasibleFormula:
            infeasible += 1
            refusals.append((time.perf_counter() - asked) * 1000)
            continue
        except InvalidInput:
            invalid += 1
            continue
        except FormulaCheckFailed:
            violations += 1
            continue
        request = resolve_request(catalog, needs, policy)
        found = check_formula(
            catalog, needs, check_limits(request), formula.base.id,
            [m.id for m in formula.modules], formula.ph,
        )  # fmt: skip
        violations += bool(found)
        totals.append(timings.total * 1000)
        solves.append(timings.solve * 1000)
        bounds.append(timings.bound * 1000)
    wall = time.perf_counter() - started
    total, solve_ms, bound_ms = np.array(totals), np.array(solves), np.array(bounds)
    overhead = total - solve_ms - bound_ms
    return {
        "catalog_version": catalog.version,
        "solver": f"{SOLVER_NAME} {SOLVER_VERSION}",
        "modules": len(catalog.modules),
        "requests": n,
        "solved": len(totals),
        "infeasible": infeasible,
        "invalid_needs": invalid,
        "violations": violations,
        "total_ms": _percentiles(total),
        "solver_ms": _percentiles(solve_ms),
        "bound_lp_ms": _percentiles(bound_ms),
        "overhead_ms": _percentiles(overhead),
        "infeasible_total_ms": _percentiles(np.array(refusals)),
        "overhead_over_solver_p50": round(
            float(np.median(overhead) / np.median(solve_ms + bound_ms)), 3
        ),
        "catalog_bound": policy.catalog_bound,
        "requests_per_s": round(n / wall, 1),
        "pruning": _pruning_regret(catalog, policy, rng, regret_sample, progress),
        "cpu_affinity": sorted(os.sched_getaffinity(0)),
        "targets": {"total_p50_ms": 30, "total_p99_ms": 200, "overhead_over_solver": 1.0},
    }


def _percentiles(values: np.ndarray[Any, np.dtype[np.float64]]) -> dict[str, float]:
    if len(values) == 0:
        return {}
    return {
        "p50": round(float(np.percentile(values, 50)), 3),
        "p95": round(float(np.percentile(values, 95)), 3),
        "p99": round(float(np.percentile(values, 99)), 3),
        "max": round(float(values.max()), 3),
    }


def _pruning_regret(
    catalog: Catalog,
    policy: FormulationPolicy,
    rng: np.random.Generator,
    sample: int,
    progress: bool,
) -> dict[str, Any]:
    """Objective lost by pruning against the unpruned model on the same requests, and the
    proven catalog gap of each formula checked against that true optimum."""
    regrets: list[float] = []
    proven: list[float] = []
    full_ms: list[float] = []
    bound_broken = 0
    for _ in tqdm(range(sample), desc="pruning regret", disable=not progress, file=sys.stderr):
        needs = random_needs(rng, catalog, hard=False)
        request = resolve_request(catalog, needs, policy)
        solved = solve_request(catalog, request, policy)
        pruned = solved.solution
        full = solve(
            catalog, request, select_candidates(catalog, request, policy, prune=False), policy
        )
        if pruned.status == "infeasible" or full.status == "infeasible":
            continue
        regrets.append(max(0.0, full.objective - pruned.objective) / abs(full.objective))
        full_ms.append(full.solve_seconds * 1000)
        if solved.bound is not None and solved.gap is not None:
            proven.append(solved.gap)
            bound_broken += full.objective > solved.bound + 1e-7
    values, gaps = np.array(regrets), np.array(proven)
    return {
        "sample": len(regrets),
        "same_objective_share": round(float(np.mean(values < 1e-6)), 3) if len(values) else None,
        "relative_loss_mean": round(float(values.mean()), 5) if len(values) else None,
        "relative_loss_max": round(float(values.max()), 5) if len(values) else None,
        "proven_gap_mean": round(float(gaps.mean()), 5) if len(gaps) else None,
        "proven_gap_p50": round(float(np.median(gaps)), 5) if len(gaps) else None,
        "proven_gap_max": round(float(gaps.max()), 5) if len(gaps) else None,
        "proven_optimal_share": round(float(np.mean(gaps < 1e-6)), 3) if len(gaps) else None,
        "bound_below_true_optimum": bound_broken,
        "unpruned_solver_ms": _percentiles(np.array(full_ms)),
    }
