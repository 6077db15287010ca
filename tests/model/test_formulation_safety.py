"""Every formula the engine returns passes the independent checker, for random needs.

``skinlab bench formulate --n 10000`` runs the same sweep at full size (README); here a fixed,
seeded sample keeps CI fast. Infeasible and contradictory needs are legitimate outcomes and
are counted, so a sweep that silently solved nothing would fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from formulations.catalog import Catalog, load_catalog
from formulations.checker import check_formula
from formulations.engine import check_limits, formulate
from formulations.problem import FormulationPolicy, resolve_request
from formulations.sampling import random_needs
from skinlab.errors import InfeasibleFormula, InvalidInput

PER_CHUNK = 150


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize("chunk", range(4))
def test_random_needs_give_only_checked_formulas(catalog: Catalog, chunk: int) -> None:
    rng = np.random.default_rng(1000 + chunk)
    policy = FormulationPolicy()
    solved = infeasible = invalid = 0
    for _ in range(PER_CHUNK):
        needs = random_needs(rng, catalog)
        try:
            formula, _timings = formulate(catalog, needs, policy)
        except InfeasibleFormula as error:
            assert error.details["conflicts"], needs  # always names what conflicts
            infeasible += 1
            continue
        except InvalidInput:
            invalid += 1
            continue
        request = resolve_request(catalog, needs, policy)
        violations = check_formula(
            catalog,
            needs,
            check_limits(request),
            formula.base.id,
            [m.id for m in formula.modules],
            formula.ph,
        )
        assert violations == [], (needs, violations)
        assert sum(line.pct for line in formula.ingredients) == pytest.approx(100, abs=0.01)
        solved += 1
    assert solved >= PER_CHUNK * 0.7, (solved, infeasible, invalid)


def test_the_same_needs_give_the_same_sku(catalog: Catalog) -> None:
    rng = np.random.default_rng(7)
    policy = FormulationPolicy()
    for _ in range(10):
        needs = random_needs(rng, catalog, hard=False)
        first, _ = formulate(catalog, needs, policy)
        again, _ = formulate(catalog, needs.model_copy(deep=True), policy)
        assert again.sku == first.sku
        assert again.model_dump(exclude={"solver"}) == first.model_dump(exclude={"solver"})


def test_different_needs_mostly_give_different_skus(catalog: Catalog) -> None:
    rng = np.random.default_rng(8)
    policy = FormulationPolicy()
    skus = {
        formulate(catalog, random_needs(rng, catalog, hard=False), policy)[0].sku for _ in range(40)
    }
    assert len(skus) >= 20  # personalised: the formula follows the person's scores
