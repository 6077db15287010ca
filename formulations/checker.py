"""An independent check of a finished formula against every rule.

Deliberately separate from the solver: it works from the catalog's pydantic objects, not from the
solver's arrays, recomputes the composition itself and reads the regulatory entries itself. A
formula is only issued when this returns no violation, and the tests run it on thousands of
solver outputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from formulations.catalog import Catalog
from formulations.needs import EXCLUDED_FLAGS, FormulationNeeds
from formulations.schema import BaseFormula, Ingredient, Module

TOLERANCE = 1e-6
_Fail = Callable[[str, str], None]


@dataclass(frozen=True)
class Violation:
    """One broken rule, with the numbers that break it."""

    rule: str
    message: str


@dataclass(frozen=True)
class CheckLimits:
    """The brand policy the checker enforces (same numbers as the solver's, read separately)."""

    max_modules: int
    irritation_budget: float
    cost_cap_per_kg: float | None


def composition_of(
    catalog: Catalog, base: BaseFormula, modules: Sequence[Module]
) -> dict[str, float]:
    """Final % w/w of every ingredient: the base fills what the modules leave, water q.s."""
    base_share = 100 - sum(m.inclusion_pct for m in modules)
    totals: dict[str, float] = defaultdict(float)
    listed = 0.0
    for component in base.composition:
        totals[component.id] += component.pct * base_share / 100
        listed += component.pct
    totals["water"] += (100 - listed) * base_share / 100
    for module in modules:
        for part in module.composition:
            totals[part.id] += part.pct
    return dict(totals)


def check_formula(
    catalog: Catalog,
    needs: FormulationNeeds,
    limits: CheckLimits,
    base_id: str,
    module_ids: Sequence[str],
    ph: float,
) -> list[Violation]:
    """Every rule the formula breaks (an empty list when it is safe, legal and as asked)."""
    out: list[Violation] = []
    base = catalog.bases[base_id]
    modules = [catalog.modules[m] for m in module_ids]
    totals = composition_of(catalog, base, modules)
    used = {i: catalog.ingredients[i] for i, pct in totals.items() if pct > 0}

    def fail(rule: str, message: str) -> None:
        out.append(Violation(rule, message))

    if abs(sum(totals.values()) - 100) > 1e-4:
        fail("total", f"the formula sums to {sum(totals.values()):.4f}%, not 100%")
    if len(set(module_ids)) != len(module_ids):
        fail("modules", "a module is used twice")
    actives = [a for m in modules for a in m.actives]
    if len(actives) != len(set(actives)):
        fail("duplicate_active", "an active comes from two modules (one module per active)")
    if len(modules) > limits.max_modules:
        fail("modules", f"{len(modules)} modules, more than {limits.max_modules}")
    if needs.product_type and base.product_type != needs.product_type:
        fail("product_type", f"base is a {base.product_type}, not a {needs.product_type}")
    if needs.base_id and base.id != needs.base_id:
        fail("base", f"base {base.id} was not the one asked for ({needs.base_id})")
    _check_capacity(base, modules, fail)
    _check_legal(used, totals, base, needs.markets, fail)
    _check_banned(catalog, used, needs, fail)
    _check_ph(used, base, ph, fail)
    _check_incompatible(used, fail)
    _check_preservation(used, totals, fail)
    irritation = sum(
        ing.irritation * totals[i] / ing.typical_use_pct[1]
        for i, ing in used.items()
        if ing.irritation
    )
    if irritation > limits.irritation_budget + TOLERANCE:
        fail(
            "irritation",
            f"{irritation:.2f} irritation points over the budget {limits.irritation_budget}",
        )
    cost = sum(ing.cost_per_kg_rmb * totals[i] / 100 for i, ing in used.items())
    if limits.cost_cap_per_kg is not None and cost > limits.cost_cap_per_kg + TOLERANCE:
        fail("cost", f"materials cost {cost:.2f} RMB/kg over the cap {limits.cost_cap_per_kg:.2f}")
    stock_outs = set(needs.out_of_stock) & set(module_ids)
    if stock_outs:
        fail("stock", f"out-of-stock modules used: {sorted(stock_outs)}")
    for item in needs.include:
        found = catalog.find_ingredient(item.ingredient)
        dose = totals.get(found.id, 0.0) if found else 0.0
        if dose <= 0 or dose < (item.min_pct or 0) - TOLERANCE:
            fail(
                "include", f"{item.ingredient} is required (min {item.min_pct}%) but is at {dose}%"
            )
    return out


def _check_capacity(base: BaseFormula, modules: Sequence[Module], fail: _Fail) -> None:
    total = sum(m.inclusion_pct for m in modules)
    if total > base.capacity_total_pct + TOLERANCE:
        fail(
            "capacity",
            f"modules take {total}% but {base.id} takes at most {base.capacity_total_pct}%",
        )
    for phase, room in base.capacity_pct.items():
        in_phase = sum(m.inclusion_pct for m in modules if m.phase == phase)
        if in_phase > room + TOLERANCE:
            fail("capacity", f"{phase}-phase modules take {in_phase}% but {base.id} takes {room}%")
    for module in modules:
        if module.phase not in base.capacity_pct:
            fail("capacity", f"{base.id} has no room for {module.phase}-phase module {module.id}")


def _check_legal(
    used: Mapping[str, Ingredient],
    totals: Mapping[str, float],
    base: BaseFormula,
    markets: Sequence[str],
    fail: _Fail,
) -> None:
    for ingredient_id, ingredient in used.items():
        pct = totals[ingredient_id]
        if pct > ingredient.typical_use_pct[1] + TOLERANCE:
            fail("use_range", f"{ingredient.inci} at {pct:.4f}% is over its use range")
        for entry in ingredient.limits:
            applies = (
                entry.market in markets
                and entry.scope in ("all", base.scope)
                and entry.area in ("all", base.area)
            )
            if applies and pct > entry.max_pct + TOLERANCE:
                fail(
                    "regulatory",
                    f"{ingredient.inci} {pct:.4f}% > {entry.max_pct}% "
                    f"({entry.market}: {entry.source})",
                )


def _check_banned(
    catalog: Catalog, used: Mapping[str, Ingredient], needs: FormulationNeeds, fail: _Fail
) -> None:
    prohibited_cas = {cas for p in catalog.prohibited.values() for cas in p.cas}
    banned_flags: set[str] = set()
    for exclusion in needs.exclusions:
        banned_flags |= EXCLUDED_FLAGS[exclusion]
    avoided = {found.id for found in map(catalog.find_ingredient, needs.avoid) if found}
    for ingredient_id, ingredient in used.items():
        if ingredient_id in catalog.prohibited or set(ingredient.cas) & prohibited_cas:
            fail("prohibited", f"{ingredient.inci} is a prohibited substance")
        if set(ingredient.flags) & banned_flags:
            fail(
                "exclusion", f"{ingredient.inci} is {sorted(set(ingredient.flags) & banned_flags)}"
            )
        if needs.pregnancy_safe and "pregnancy_caution" in ingredient.flags:
            fail("pregnancy", f"{ingredient.inci} is not pregnancy-safe")
        if ingredient_id in avoided:
            fail("allergy", f"{ingredient.inci} is on the person's avoid list")


def _check_ph(used: Mapping[str, Ingredient], base: BaseFormula, ph: float, fail: _Fail) -> None:
    low, high = base.ph_adjustable
    if not low - TOLERANCE <= ph <= high + TOLERANCE:
        fail("ph", f"pH {ph} is outside what {base.id} can be adjusted to ({low}-{high})")
    base_ids = {c.id for c in base.composition}
    for ingredient_id, ingredient in used.items():
        if ingredient_id in base_ids or ingredient_id == "water":
            continue  # the base's own ingredients are covered by its adjustable range
        ing_low, ing_high = ingredient.ph_range
        if not ing_low - TOLERANCE <= ph <= ing_high + TOLERANCE:
            fail("ph", f"pH {ph} is outside {ingredient.inci}'s window {ing_low}-{ing_high}")


def _check_incompatible(used: Mapping[str, Ingredient], fail: _Fail) -> None:
    clashes: dict[tuple[str, str], str] = {}
    for ingredient_id, ingredient in used.items():
        for other in ingredient.incompatible_with:
            if other.id in used:
                pair = (min(ingredient_id, other.id), max(ingredient_id, other.id))
                clashes.setdefault(pair, other.reason)
    for (first, second), reason in sorted(clashes.items()):
        fail("incompatible", f"{used[first].inci} with {used[second].inci}: {reason}")


def _check_preservation(
    used: Mapping[str, Ingredient], totals: Mapping[str, float], fail: _Fail
) -> None:
    strength = sum(
        totals[i] / ing.preservative_mec_pct
        for i, ing in used.items()
        if ing.preservative_mec_pct is not None
    )
    if strength < 1 - TOLERANCE:
        fail("preservation", f"preservatives reach {strength:.2f} of their effective level (< 1)")
