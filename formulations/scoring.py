"""How good, how irritating and how costly a module or a base is: the solver's coefficients.

These numbers define the objective. The solver maximises ``formula_value``; the exhaustive
enumeration in the tests computes the same value for every combination, so both agree on what
"best" means while checking feasibility with separate code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from formulations.catalog import Catalog
from formulations.schema import BaseFormula, Benefit, Module

# Gentleness and thrift break ties between formulas that help equally: per irritation point and
# per 1000 RMB/kg of materials, in units of "one fully met need".
IRRITATION_PENALTY = 0.02
COST_PENALTY = 0.1
# A base that suits the skin type is worth this much.
SKIN_TYPE_BONUS = 0.05


@dataclass(frozen=True)
class Coefficients:
    """What one module or base brings to a formula."""

    benefits: Mapping[Benefit, float]
    irritation: float
    cost_per_kg: float  # RMB per kg of final product (modules) or of base (bases)


def dose_benefits(catalog: Catalog, doses: Mapping[str, float]) -> dict[Benefit, float]:
    """Benefit of ingredients at these final-product doses: strength x min(1, dose/effective)."""
    totals: dict[Benefit, float] = {}
    for ingredient_id, dose in doses.items():
        ingredient = catalog.ingredients[ingredient_id]
        if not ingredient.benefits or not ingredient.effective_pct:
            continue
        saturation = min(1.0, dose / ingredient.effective_pct)
        for benefit, strength in ingredient.benefits.items():
            totals[benefit] = totals.get(benefit, 0.0) + strength * saturation
    return {benefit: min(1.0, value) for benefit, value in totals.items()}


def irritation_points(catalog: Catalog, doses: Mapping[str, float]) -> float:
    """Irritation 0-5 of each ingredient, scaled by its dose over the top of its use range.

    Linear in the doses, so the points of a formula are the sum of its parts' points (the base's
    scaled by its share); every formula keeps each dose within its use range anyway.
    """
    points = 0.0
    for ingredient_id, dose in doses.items():
        ingredient = catalog.ingredients[ingredient_id]
        if ingredient.irritation:
            points += ingredient.irritation * dose / ingredient.typical_use_pct[1]
    return points


def materials_cost(catalog: Catalog, doses: Mapping[str, float]) -> float:
    """RMB per kg for these % w/w doses."""
    return sum(catalog.ingredients[i].cost_per_kg_rmb * pct / 100 for i, pct in doses.items())


def module_coefficients(catalog: Catalog, module: Module) -> Coefficients:
    """A module's benefits (from its actives), irritation and cost per kg of product."""
    composition = {c.id: c.pct for c in module.composition}
    return Coefficients(
        benefits=dose_benefits(catalog, module.actives),
        irritation=irritation_points(catalog, composition),
        cost_per_kg=materials_cost(catalog, composition),
    )


def base_coefficients(catalog: Catalog, base: BaseFormula) -> Coefficients:
    """A base's own benefits at its smallest share of the product; irritation and cost per kg of
    base (a formula counts them times the base's share)."""
    composition = {c.id: c.pct for c in base.composition}
    composition["water"] = 100 - sum(composition.values())
    share = 1 - base.capacity_total_pct / 100
    at_min_share = {i: pct * share for i, pct in composition.items()}
    return Coefficients(
        benefits=dose_benefits(catalog, at_min_share),
        irritation=irritation_points(catalog, composition),
        cost_per_kg=materials_cost(catalog, {i: p for i, p in composition.items() if p > 0}),
    )


def formula_value(
    weights: Mapping[Benefit, float],
    base: Coefficients,
    base_suits_skin: bool,
    base_share_pct: float,
    modules: Iterable[Coefficients],
) -> float:
    """The objective: met needs (each capped at 1) plus a fitting base, less irritation and cost."""
    chosen = list(modules)
    value = SKIN_TYPE_BONUS if base_suits_skin else 0.0
    for benefit, weight in weights.items():
        if weight <= 0:
            continue
        met = base.benefits.get(benefit, 0.0) + sum(m.benefits.get(benefit, 0.0) for m in chosen)
        value += weight * min(1.0, met)
    irritation = base.irritation * base_share_pct / 100 + sum(m.irritation for m in chosen)
    cost = base.cost_per_kg * base_share_pct / 100 + sum(m.cost_per_kg for m in chosen)
    return value - IRRITATION_PENALTY * irritation - COST_PENALTY * cost / 1000
