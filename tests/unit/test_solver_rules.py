"""Solver rules the brute-force comparison cannot tell apart on the shipped catalog.

In the shipped catalog every declared incompatibility also has disjoint pH windows, so a solver
that forgot incompatibilities would still pass the brute-force test. Here a test catalog declares
an incompatibility between two actives that share a pH window and that the needs want together.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from formulations.catalog import Catalog, load_catalog
from formulations.engine import formulate
from formulations.needs import FormulationNeeds
from formulations.problem import FormulationPolicy
from formulations.schema import Incompatibility

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_catalog"
NEEDS = FormulationNeeds(
    scores={"spots": 100, "redness": 60, "oiliness": 80, "pores": 70},
    skin_type="oily",
    product_type="serum",
)


def with_clash(catalog: Catalog, first: str, second: str) -> Catalog:
    ingredients = dict(catalog.ingredients)
    for a, b in ((first, second), (second, first)):
        clash = Incompatibility(id=b, reason="declared for this test")
        ingredients[a] = ingredients[a].model_copy(update={"incompatible_with": [clash]})
    return replace(
        catalog, version=f"{catalog.version}-clash-{first}-{second}", ingredients=ingredients
    )


def actives(catalog: Catalog, needs: FormulationNeeds) -> set[str]:
    formula, _ = formulate(catalog, needs, FormulationPolicy())
    return {a for module in formula.modules for a in module.actives}


def test_without_the_clash_the_formula_uses_both_actives() -> None:
    assert {"niacinamide", "tranexamic_acid"} <= actives(load_catalog(MINI), NEEDS)


def test_an_incompatible_pair_is_never_chosen_together() -> None:
    catalog = with_clash(load_catalog(MINI), "niacinamide", "tranexamic_acid")
    chosen = actives(catalog, NEEDS)
    assert not {"niacinamide", "tranexamic_acid"} <= chosen
    assert chosen & {"niacinamide", "tranexamic_acid"}  # still answers the spots need
