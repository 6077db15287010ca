"""The infeasibility diagnosis (one elastic model) checked by the ordinary solve path.

``diagnose_infeasible`` answers every question by changing bounds on one full-catalog model.
Here each answer is re-asked through ``formulate`` itself (pruned MILP, then the full
catalog), with the requirements lifted by editing the request: the conflicting set must be
infeasible as a whole and feasible without any one of its members, and every relaxation it
proposes must give a formula.
"""

from __future__ import annotations

import pytest

from formulations.catalog import Catalog, load_catalog
from formulations.diagnose import _groups, diagnose_infeasible
from formulations.engine import formulate
from formulations.needs import FormulationNeeds
from formulations.problem import FormulationPolicy
from skinlab.errors import InfeasibleFormula

SCORES = {"acne": 60.0, "redness": 40.0, "wrinkles": 30.0}
CASES = [
    # a gel holding astaxanthin (an oil-phase active) without parabens or silicones
    {
        "product_type": "gel",
        "sensitive": True,
        "include": [{"ingredient": "astaxanthin"}],
        "exclusions": ["paraben_free", "silicone_free"],
    },
    {"product_type": "gel", "include": [{"ingredient": "retinol"}]},
    {"base_id": "serum_hydrating", "bottle_ml": 100, "price_cap_rmb": 1},
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _feasible(catalog: Catalog, needs: FormulationNeeds, policy: FormulationPolicy) -> bool:
    try:
        formulate(catalog, needs, policy)
    except InfeasibleFormula:
        return False
    return True


@pytest.mark.parametrize("case", CASES)
def test_the_conflict_is_irreducible_and_every_relaxation_works(
    catalog: Catalog, case: dict[str, object]
) -> None:
    policy = FormulationPolicy()
    needs = FormulationNeeds.model_validate({"scores": SCORES, **case})
    error = diagnose_infeasible(catalog, needs, policy)
    assert error is not None
    conflicts = {c["constraint"] for c in error.details["conflicts"]}
    assert conflicts
    groups = _groups(catalog, needs, policy)
    assert conflicts <= {g.key for g in groups}

    def lifted(keys: set[str]) -> tuple[FormulationNeeds, FormulationPolicy]:
        state = (needs, policy)
        for group in groups:
            if group.key in keys:
                state = group.relax(*state)
        return state

    outside = {g.key for g in groups} - conflicts
    assert not _feasible(catalog, *lifted(outside))
    for key in conflicts:
        assert _feasible(catalog, *lifted(outside | {key})), key
    for relaxation in error.details["relaxations"]:
        relaxed_needs, relaxed_policy = lifted({str(relaxation["constraint"])})
        if "value" in relaxation:  # a price: the cap named must itself be enough
            relaxed_needs = needs.model_copy(update={"price_cap_rmb": relaxation["value"]})
        assert _feasible(catalog, relaxed_needs, relaxed_policy), relaxation
