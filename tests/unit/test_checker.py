"""The independent checker: each rule caught on hand-made formulas, solver output let through."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from formulations.catalog import Catalog, load_catalog
from formulations.checker import CheckLimits, check_formula, composition_of
from formulations.engine import check_limits, formulate
from formulations.needs import FormulationNeeds
from formulations.problem import FormulationPolicy, resolve_request
from formulations.schema import (
    BaseComponent,
    BaseFormula,
    Module,
    ModuleComponent,
    ProhibitedSubstance,
)

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_catalog"
CLEAN_BASE, CLEAN_MODULES, CLEAN_PH = "serum_gel", ("niacinamide-4.aqueous",), 5.5


@pytest.fixture(scope="module")
def mini() -> Catalog:
    return load_catalog(MINI)


def hand_module(
    doses: dict[str, float], filler: str, *, phase: str = "water", inclusion: float = 2.0
) -> Module:
    """A module built by hand: ``doses`` of actives, ``filler`` making up ``inclusion``."""
    balance = inclusion - sum(doses.values())
    return Module.model_validate(
        {
            "id": "hand." + "+".join(f"{i}-{d:g}" for i, d in doses.items()),
            "name": "hand-made",
            "name_zh": "手工模块",
            "actives": doses,
            "carrier": "hand",
            "phase": phase,
            "inclusion_pct": inclusion,
            "composition": [
                ModuleComponent(id=i, pct=d) for i, d in {**doses, filler: balance}.items()
            ],
            "rule": "curated",
        }
    )


def with_extras(
    catalog: Catalog,
    *,
    modules: tuple[Module, ...] = (),
    bases: tuple[BaseFormula, ...] = (),
    prohibited: tuple[ProhibitedSubstance, ...] = (),
) -> Catalog:
    """The catalog plus hand-made modules, bases or prohibited substances."""
    return replace(
        catalog,
        modules={**catalog.modules, **{m.id: m for m in modules}},
        bases={**catalog.bases, **{b.id: b for b in bases}},
        prohibited={**catalog.prohibited, **{p.id: p for p in prohibited}},
    )


def check(
    catalog: Catalog,
    *,
    base: str = CLEAN_BASE,
    modules: tuple[str, ...] = CLEAN_MODULES,
    ph: float = CLEAN_PH,
    limits: dict[str, Any] | None = None,
    **needs: Any,
) -> set[str]:
    """The rule names ``check_formula`` reports for a formula built by hand."""
    request = FormulationNeeds.model_validate({"scores": {"spots": 60}, **needs})
    policy = CheckLimits(
        **{"max_modules": 4, "irritation_budget": 6.0, "cost_cap_per_kg": None, **(limits or {})}
    )
    return {v.rule for v in check_formula(catalog, request, policy, base, list(modules), ph)}


def test_the_clean_formula_breaks_no_rule(mini: Catalog) -> None:
    assert check(mini) == set()
    totals = composition_of(mini, mini.bases[CLEAN_BASE], [mini.modules[CLEAN_MODULES[0]]])
    assert sum(totals.values()) == pytest.approx(100)
    assert totals["niacinamide"] == pytest.approx(4)


# name: (check() keyword arguments, the rules expected)
RULE_CASES: dict[str, tuple[dict[str, Any], set[str]]] = {
    # The two cannot share a pH either, and their cool-down modules overfill serum_gel.
    "incompatible": (
        {"modules": ("ascorbic_acid-5.aqueous_cool", "copper_tripeptide_1-0.05.aqueous_cool")},
        {"incompatible", "ph", "capacity"},
    ),
    "too_many_modules": (
        {
            "modules": (
                "niacinamide-2.aqueous",
                "zinc_pca-1.aqueous",
                "tranexamic_acid-1.aqueous",
                "allantoin-0.1.aqueous",
                "madecassoside-0.1.aqueous",
            )
        },
        {"modules"},
    ),
    "over_the_requested_max_modules": (
        {"modules": ("niacinamide-4.aqueous", "zinc_pca-1.aqueous"), "limits": {"max_modules": 1}},
        {"modules"},
    ),
    "module_used_twice": (
        {"modules": ("niacinamide-4.aqueous", "niacinamide-4.aqueous")},
        {"modules", "duplicate_active", "use_range"},
    ),
    "active_from_two_modules": (
        {"modules": ("niacinamide-4.aqueous", "niacinamide-4+zinc_pca-1.aqueous")},
        {"duplicate_active", "use_range"},
    ),
    "allergy_by_id": ({"avoid": ["niacinamide"]}, {"allergy"}),
    "allergy_by_inci": ({"avoid": ["Niacinamide"]}, {"allergy"}),
    "allergy_by_cas": ({"avoid": ["98-92-0"]}, {"allergy"}),
    "pregnancy": (
        {"modules": ("salicylic_acid-1.glycol",), "ph": 3.5, "pregnancy_safe": True},
        {"pregnancy"},
    ),
    "ph_outside_the_base": ({"ph": 7.0}, {"ph"}),
    "ph_outside_an_active": ({"ph": 4.0}, {"ph"}),
    "capacity": (
        {
            "modules": (
                "niacinamide-4.aqueous",
                "tranexamic_acid-3.aqueous",
                "panthenol-2.aqueous",
            )
        },
        {"capacity"},
    ),
    "cost": ({"limits": {"cost_cap_per_kg": 1.0}}, {"cost"}),
    "irritation": (
        {"modules": ("glycolic_acid-8.aqueous",), "ph": 3.5, "limits": {"irritation_budget": 1}},
        {"irritation"},
    ),
    "stock": ({"out_of_stock": ["niacinamide-4.aqueous"]}, {"stock"}),
    "include_missing": ({"include": [{"ingredient": "retinol"}]}, {"include"}),
    "include_below_its_minimum": (
        {"include": [{"ingredient": "niacinamide", "min_pct": 5}]},
        {"include"},
    ),
    "product_type": ({"product_type": "cream"}, {"product_type"}),
    "base": ({"base_id": "cream_basic"}, {"base"}),
}


@pytest.mark.parametrize(("arguments", "expected"), RULE_CASES.values(), ids=RULE_CASES.keys())
def test_each_rule_is_caught(mini: Catalog, arguments: dict[str, Any], expected: set[str]) -> None:
    assert check(mini, **arguments) == expected


def test_incompatible_modules_are_fine_apart(mini: Catalog) -> None:
    for module in ("ascorbic_acid-5.aqueous_cool", "copper_tripeptide_1-0.05.aqueous_cool"):
        assert "incompatible" not in check(mini, modules=(module,))


def test_exclusions_refuse_flagged_ingredients(mini: Catalog) -> None:
    scented = hand_module({"linalool": 0.05}, "propanediol", phase="cool_down")
    catalog = with_extras(mini, modules=(scented,))
    assert check(catalog, modules=(scented.id,)) == set()
    assert check(catalog, modules=(scented.id,), exclusions=["fragrance_free"]) == {"exclusion"}
    assert check(catalog, modules=(scented.id,), exclusions=["vegan"]) == set()


def test_regulatory_limits_apply_per_market(mini: Catalog) -> None:
    # Retinol's 0.3% cap is an EU entry only; 0.5% is also above its 0.3% use range.
    strong = hand_module({"retinol": 0.5}, "caprylic_capric_triglyceride", phase="oil")
    catalog = with_extras(mini, modules=(strong,))
    lenient = {"irritation_budget": 100.0}
    eu = check(catalog, modules=(strong.id,), markets=["EU"], limits=lenient)
    assert eu == {"regulatory", "use_range"}
    assert check(catalog, modules=(strong.id,), markets=["CN"], limits=lenient) == {"use_range"}


def test_an_ingredient_with_a_prohibited_cas_is_refused(mini: Catalog) -> None:
    banned = ProhibitedSubstance(
        id="niacinamide_banned",
        inci="Niacinamide (banned for this test)",
        cas=["98-92-0"],
        name_zh="测试禁用",
        reason="a test of the CAS check",
        sources=["test fixture"],
    )
    assert check(with_extras(mini, prohibited=(banned,))) == {"prohibited"}


def test_an_under_preserved_base_is_refused(mini: Catalog) -> None:
    weak = mini.bases["serum_gel"].model_copy(
        update={
            "id": "serum_weak",
            "composition": [
                BaseComponent(id="glycerin", pct=5),
                BaseComponent(id="phenoxyethanol", pct=0.3),
            ],
        }
    )
    assert check(with_extras(mini, bases=(weak,)), base="serum_weak") == {"preservation"}


SOLVED_NEEDS = [
    {"scores": {"spots": 70, "acne": 40, "wrinkles": 60}},
    {"focus": ["wrinkles"], "pregnancy_safe": True},
    {"scores": {"redness": 50}, "sensitive": True, "product_type": "cream"},
    {"scores": {"spots": 60}, "include": [{"ingredient": "Niacinamide", "min_pct": 4}]},
    {"scores": {"acne": 70}, "avoid": ["panthenol"], "max_modules": 2},
    {"scores": {"wrinkles": 50}, "markets": ["CN", "EU"], "product_type": "eye_cream"},
    {"scores": {"spots": 40}, "price_cap_rmb": 20, "bottle_ml": 30},
]


@pytest.mark.parametrize("needs", SOLVED_NEEDS)
def test_solver_formulas_pass_the_checker(mini: Catalog, needs: dict[str, Any]) -> None:
    request = FormulationNeeds.model_validate(needs)
    policy = FormulationPolicy()
    formula, _ = formulate(mini, request, policy)
    limits = check_limits(resolve_request(mini, request, policy))
    module_ids = [m.id for m in formula.modules]
    assert module_ids or formula.base.id
    assert check_formula(mini, request, limits, formula.base.id, module_ids, formula.ph) == []


def test_a_formula_from_the_shipped_catalog_passes_the_checker() -> None:
    catalog = load_catalog()
    request = FormulationNeeds(scores={"spots": 60, "redness": 30}, skin_type="dry")
    policy = FormulationPolicy()
    formula, _ = formulate(catalog, request, policy)
    limits = check_limits(resolve_request(catalog, request, policy))
    module_ids = [m.id for m in formula.modules]
    assert module_ids
    assert check_formula(catalog, request, limits, formula.base.id, module_ids, formula.ph) == []
