"""Hypothesis on the formulation engine: any request within the schema ends in one of three ways.

A formula that the independent checker accepts, an ``InfeasibleFormula`` that names its
conflicts, or an ``InvalidInput`` that says which name or constraint is wrong; never another
exception (``FormulaCheckFailed`` included). The same needs always give the same SKU. Requests
mix catalog names with invented ones so that every branch of the request resolution is reached.
Explaining an infeasible request costs 1.5-4.5 s (the diagnosis re-solves with each constraint
relaxed), so impossible constraints are drawn less often than possible ones.
"""

from __future__ import annotations

from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from data.vocabulary import CONCERNS
from formulations.catalog import Catalog, load_catalog
from formulations.checker import check_formula
from formulations.engine import check_limits, formulate
from formulations.needs import BottleSize, Exclusion, FormulationNeeds, SkinType
from formulations.problem import FormulationPolicy, resolve_request
from formulations.schema import Benefit, Market
from skinlab.errors import InfeasibleFormula, InvalidInput

CATALOG = load_catalog()
POLICY = FormulationPolicy()
ACTIVES = sorted({a for m in CATALOG.modules.values() for a in m.actives})
INVENTED = st.text(min_size=1, max_size=20)
SOLVER_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _names(draw: st.DrawFn, known: list[str], min_size: int = 0, max_size: int = 4) -> list[str]:
    """Catalog names, and one in eight times a name the catalog does not have."""
    names = draw(st.lists(st.sampled_from(known), min_size=min_size, max_size=max_size))
    if draw(st.integers(0, 7)) == 0:
        names.insert(draw(st.integers(0, len(names))), draw(INVENTED))
    return names


@st.composite
def needs(draw: st.DrawFn, catalog: Catalog = CATALOG) -> FormulationNeeds:
    """A ``FormulationNeeds`` that passes its own validation, with anything else random."""
    product_types = sorted({b.product_type for b in catalog.bases.values()})
    values: dict[str, Any] = {
        "scores": draw(
            st.none()
            | st.dictionaries(
                st.sampled_from(CONCERNS),
                st.floats(0, 100, allow_nan=False),
                min_size=1,
            )
        ),
        "skin_type": draw(st.none() | st.sampled_from(get_args(SkinType))),
        "sensitive": draw(st.none() | st.booleans()),
        "product_type": draw(st.none() | st.sampled_from(product_types)),
        "markets": draw(st.lists(st.sampled_from(get_args(Market)), min_size=1, max_size=2)),
        "focus": draw(st.lists(st.sampled_from(get_args(Benefit)), max_size=3)),
        "exclusions": draw(st.lists(st.sampled_from(get_args(Exclusion)), max_size=3)),
        "pregnancy_safe": draw(st.booleans()),
        "bottle_ml": draw(st.sampled_from(get_args(BottleSize))),
    }
    if draw(st.integers(0, 7)) == 0:
        values["base_id"] = _names(draw, sorted(catalog.bases), min_size=1, max_size=1)[0]
    if draw(st.booleans()):
        values["avoid"] = _names(draw, ACTIVES)
    if draw(st.integers(0, 3)) == 0:
        values["include"] = [
            {"ingredient": name, "min_pct": draw(st.none() | st.floats(0.001, 20))}
            for name in _names(draw, ACTIVES, min_size=1, max_size=3)
        ]
    if draw(st.integers(0, 3)) == 0:
        values["price_cap_rmb"] = draw(st.floats(1, 2000))
    if draw(st.booleans()):
        values["out_of_stock"] = _names(draw, sorted(catalog.modules), max_size=30)
    if draw(st.booleans()):
        values["max_modules"] = draw(st.integers(1, 8))
    if values["scores"] is None and not values["focus"]:
        values["focus"] = [draw(st.sampled_from(get_args(Benefit)))]
    return FormulationNeeds.model_validate(values)


@SOLVER_SETTINGS
@given(request=needs())
def test_any_needs_give_a_checked_formula_or_a_reason(request: FormulationNeeds) -> None:
    try:
        formula, _timings = formulate(CATALOG, request, POLICY)
    except InfeasibleFormula as error:
        assert error.status == 422 and error.message and error.message_zh
        assert error.details.get("conflicts"), error.details
        event("infeasible")
        return
    except InvalidInput as error:
        assert error.status == 422 and error.code and error.message and error.message_zh
        event(f"invalid input: {error.code}")
        return
    resolved = resolve_request(CATALOG, request, POLICY)
    violations = check_formula(
        CATALOG,
        request,
        check_limits(resolved),
        formula.base.id,
        [m.id for m in formula.modules],
        formula.ph,
    )
    assert violations == []
    assert sum(line.pct for line in formula.ingredients) == pytest.approx(100, abs=0.01)
    again, _timings = formulate(CATALOG, request.model_copy(deep=True), POLICY)
    assert again.sku == formula.sku
    event("formula")
