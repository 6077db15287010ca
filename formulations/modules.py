"""Generate the module catalog from the ingredient table by the rules in ``catalog/modules.yaml``.

Three rules, applied in this order: a dose ladder for every single active, pairs of the strongest
actives for each benefit, and the brand's curated blends. A generated module that breaks a
regulatory limit or a use range, or whose actives cannot share a carrier, is dropped and named in
the list this module returns, so ``skinlab catalog validate`` can report it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from formulations.schema import Benefit, Ingredient, Module, ModuleComponent, Phase

if TYPE_CHECKING:
    from formulations.catalog import Catalog

_DOSE_DIGITS = 2


def generate_modules(catalog: Catalog) -> tuple[dict[str, Module], list[str]]:
    """Build every module the rules describe.

    Parameters
    ----------
    catalog : Catalog
        The ingredients and the rules (``catalog.rules``); its own modules are ignored.

    Returns
    -------
    modules : dict
        Module id -> module, in generation order (deterministic).
    dropped : list of str
        ``"<module id>: <reason>"`` for each module a rule proposed but the checks refused.
    """
    rules = catalog.rules
    actives = [
        ing
        for ing in catalog.ingredients.values()
        if ing.category in rules["active_categories"] and ing.benefits
    ]
    proposals: list[tuple[str, dict[str, float]]] = []
    for ingredient in actives:
        proposals += [("ladder", {ingredient.id: dose}) for dose in dose_ladder(ingredient, rules)]
    proposals += [("pair", doses) for doses in _pairs(actives, rules)]
    proposals += [
        ("curated", {k: float(v) for k, v in blend.items()}) for blend in rules["curated"]
    ]
    modules: dict[str, Module] = {}
    dropped: list[str] = []
    for rule, doses in proposals:
        module, problem = build_module(catalog, doses, rule)
        if module is None:
            dropped.append(f"{_module_id(doses, '?')}: {problem}")
        elif module.id not in modules:
            modules[module.id] = module
    return modules, dropped


def dose_ladder(ingredient: Ingredient, rules: Mapping[str, Any]) -> list[float]:
    """Evenly spaced doses across the use range, plus the effective dose if inside it."""
    from formulations.catalog import strictest_limit

    low, high = ingredient.typical_use_pct
    limit = strictest_limit(ingredient, "leave_on", "face")
    if limit is not None:
        high = min(high, limit.max_pct)
    if high <= 0 or low > high:
        return []
    doses = {_round(d) for d in np.linspace(low, high, int(rules["ladder_steps"]))}
    if ingredient.effective_pct is not None and low <= ingredient.effective_pct <= high:
        doses.add(_round(ingredient.effective_pct))
    return sorted(d for d in doses if d > 0)


def build_module(
    catalog: Catalog, doses: Mapping[str, float], rule: str
) -> tuple[Module | None, str]:
    """One module for these active doses, or ``None`` and the reason it cannot exist."""
    from formulations.catalog import strictest_limit

    unknown = [i for i in doses if i not in catalog.ingredients]
    if unknown:
        return None, f"unknown ingredient(s) {unknown}"
    ingredients = [catalog.ingredients[i] for i in doses]
    carrier_name = _carrier_for(ingredients, catalog.rules["carriers"])
    if carrier_name is None:
        return None, "its actives cannot share one carrier"
    for ingredient in ingredients:
        dose = doses[ingredient.id]
        limit = strictest_limit(ingredient, "leave_on", "face")
        if limit is not None and dose > limit.max_pct + 1e-9:
            return None, f"{ingredient.id} {dose}% is over the limit {limit.max_pct}%"
        if dose > ingredient.typical_use_pct[1] + 1e-9:
            return None, f"{ingredient.id} {dose}% is over its use range"
    active_total = sum(doses.values())
    share = float(catalog.rules["max_active_share"])
    inclusion = next(
        (
            float(level)
            for level in catalog.rules["inclusion_levels"]
            if active_total <= share * level
        ),
        None,
    )
    if inclusion is None:
        return None, f"{active_total}% of actives needs more room than the largest inclusion level"
    carrier = catalog.rules["carriers"][carrier_name]
    parts: dict[str, float] = dict(doses)
    room = inclusion - active_total
    for component, pct_of_module in carrier["composition"].items():
        parts[component] = parts.get(component, 0.0) + room * float(pct_of_module) / 100
    balance = inclusion - sum(parts.values())
    parts[carrier["balance"]] = parts.get(carrier["balance"], 0.0) + balance
    missing = [i for i in parts if i not in catalog.ingredients]
    if missing:
        return None, f"carrier {carrier_name} uses unknown ingredient(s) {missing}"
    module_id = _module_id(doses, carrier_name)
    names = " + ".join(f"{catalog.ingredients[i].inci} {d:g}%" for i, d in doses.items())
    names_zh = " + ".join(f"{catalog.ingredients[i].name_zh} {d:g}%" for i, d in doses.items())
    module = Module(
        id=module_id,
        name=f"{names} ({carrier_name} carrier)",
        name_zh=f"{names_zh}（{carrier['name_zh']}）",
        actives=dict(doses),
        carrier=carrier_name,
        phase=carrier["phase"],
        inclusion_pct=inclusion,
        composition=[ModuleComponent(id=i, pct=round(p, 6)) for i, p in parts.items() if p > 0],
        rule=rule,
    )
    return module, ""


def _carrier_for(ingredients: list[Ingredient], carriers: Mapping[str, Any]) -> str | None:
    solubilities = {ingredient.solubility for ingredient in ingredients}
    phases: set[Phase] = {ingredient.phase for ingredient in ingredients}
    if solubilities == {"oil"}:
        return "oil"
    if "oil" in solubilities:
        return None
    if solubilities <= {"water"}:
        return "aqueous_cool" if "cool_down" in phases else "aqueous"
    if solubilities <= {"water", "glycol"}:
        return "glycol"
    if solubilities <= {"water", "dispersible"}:
        return "dispersion"
    return None


def _pairs(actives: list[Ingredient], rules: Mapping[str, Any]) -> list[dict[str, float]]:
    benefits: set[Benefit] = {b for ing in actives for b in ing.benefits}
    seen: set[tuple[str, str]] = set()
    pairs: list[dict[str, float]] = []
    for benefit in sorted(benefits):
        strong = sorted(
            (ing for ing in actives if ing.benefits.get(benefit, 0) >= rules["pair_min_strength"]),
            key=lambda ing: (-ing.benefits[benefit], ing.id),
        )[: int(rules["pair_top"])]
        for first, second in itertools.combinations(strong, 2):
            key = (min(first.id, second.id), max(first.id, second.id))
            if key in seen or not _can_pair(first, second, rules):
                continue
            seen.add(key)
            a, b = (first, second) if first.id < second.id else (second, first)
            for dose_a, dose_b in (
                (_effective(a), _effective(b)),
                (a.typical_use_pct[0], b.typical_use_pct[0]),
                (_effective(a), b.typical_use_pct[0]),
                (a.typical_use_pct[0], _effective(b)),
            ):
                pairs.append({a.id: _round(dose_a), b.id: _round(dose_b)})
    return pairs


def _can_pair(first: Ingredient, second: Ingredient, rules: Mapping[str, Any]) -> bool:
    overlap = min(first.ph_range[1], second.ph_range[1]) - max(
        first.ph_range[0], second.ph_range[0]
    )
    clash = {i.id for i in first.incompatible_with} & {second.id} or {
        i.id for i in second.incompatible_with
    } & {first.id}
    return overlap >= float(rules["pair_min_ph_overlap"]) and not clash


def _effective(ingredient: Ingredient) -> float:
    low, high = ingredient.typical_use_pct
    target = ingredient.effective_pct if ingredient.effective_pct is not None else low
    return min(max(target, low), high)


def _round(value: float) -> float:
    """Doses to two significant digits: 0.0123 -> 0.012, 4.567 -> 4.6, 12.3 -> 12."""
    if value <= 0:
        return 0.0
    digits = _DOSE_DIGITS - 1 - int(np.floor(np.log10(value)))
    return float(round(value, digits))


def _module_id(doses: Mapping[str, float], carrier: str) -> str:
    actives = "+".join(f"{i}-{d:g}" for i, d in doses.items())
    return f"{actives}.{carrier}".lower()
