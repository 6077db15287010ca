"""Why a request has no formula, and the smallest change that would give it one.

The request's own constraints are grouped (price cap, each required ingredient, each exclusion,
the product type, the stock list, the module limit, each allergy, pregnancy safety, the
irritation budget). A deletion filter finds an irreducible conflicting set of groups: removing
any one of them makes the rest feasible (the catalog's rules - regulation, pH, preservation,
compatibility - always stay). For each group in that set that a person may change, we solve with
it lifted; for the price cap and the irritation budget we also find the smallest value that works.
Every one of these questions is a change of bounds on one model built once over the full
catalog (``formulations.elastic``), not a model of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from formulations.catalog import Catalog
from formulations.elastic import ElasticModel
from formulations.needs import FormulationNeeds
from formulations.problem import FormulationPolicy
from formulations.schema import PRODUCT_TYPE_NAMES
from skinlab.errors import InfeasibleFormula

_Relax = Callable[[FormulationNeeds, FormulationPolicy], tuple[FormulationNeeds, FormulationPolicy]]
# Which relaxations to propose first: a number moved beats an ingredient dropped.
_PREFERENCE = ("price_cap", "stock", "max_modules", "exclusion", "product_type", "include")


@dataclass(frozen=True)
class _Group:
    key: str
    kind: str
    en: str
    zh: str
    relax: _Relax
    changeable: bool  # a person may lift it (allergies and pregnancy safety are never proposed)


def diagnose_infeasible(
    catalog: Catalog, needs: FormulationNeeds, policy: FormulationPolicy
) -> InfeasibleFormula | None:
    """The 422 error for an infeasible request, with conflicts and relaxations in ``details``;
    ``None`` when the full catalog does hold a formula (pruning had dropped every one)."""
    groups = _groups(catalog, needs, policy)
    widest = (needs, policy)
    for group in groups:
        widest = group.relax(*widest)
    model = ElasticModel(catalog, needs, policy, widest)
    if model.least([]) is not None:
        return None
    conflict = list(groups)
    for group in list(conflict):
        trial = [g for g in conflict if g is not group]
        if model.least([g.key for g in groups if g not in trial]) is None:
            conflict = trial
    relaxations = []
    for group in conflict:
        if not group.changeable or model.least([group.key]) is None:
            continue
        relaxation: dict[str, str | float] = {
            "constraint": group.key,
            "en": f"Lift: {group.en}",
            "zh": f"放宽：{group.zh}",
        }
        if group.kind == "price_cap":
            least = model.least([group.key], "cost")
            if least is not None:
                # Rounded up, so the cap named is never one that would still be refused.
                price = math.ceil(least * policy.price_markup * needs.bottle_ml / 1000 * 100) / 100
                relaxation["en"] = f"Raise the price cap to at least {math.ceil(price)} RMB."
                relaxation["zh"] = f"将价格上限提高到至少 {math.ceil(price)} 元。"
                relaxation["value"] = price
        relaxations.append(relaxation)
    if any(g.kind == "irritation" for g in conflict):
        least = model.least(["irritation_budget"], "irritation")
        if least is not None:
            conflict_note = f"needs at least {least:.2f} irritation points"
            conflict = [
                replace(g, en=f"{g.en} ({conflict_note})") if g.kind == "irritation" else g
                for g in conflict
            ]
    relaxations.sort(key=lambda r: _PREFERENCE.index(_kind(str(r["constraint"]))))
    names_en = "; ".join(g.en for g in conflict) or "the catalog's own rules for this product"
    names_zh = "；".join(g.zh for g in conflict) or "该产品类型的目录规则"
    return InfeasibleFormula(
        f"No safe formula meets all of these together: {names_en}.",
        message_zh=f"以下要求无法同时满足：{names_zh}。",
        hint=str(relaxations[0]["en"]) if relaxations else "Change the product or the needs.",
        hint_zh=str(relaxations[0]["zh"]) if relaxations else "请更换产品类型或调整需求。",
        details={
            "conflicts": [{"constraint": g.key, "en": g.en, "zh": g.zh} for g in conflict],
            "relaxations": relaxations,
            "smallest_relaxation": relaxations[0] if relaxations else None,
        },
    )


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


def _names(catalog: Catalog, name: str) -> tuple[str, str]:
    """An ingredient's INCI and Chinese name as a person should read them."""
    found = catalog.find_ingredient(name) or catalog.find_prohibited(name)
    return (found.inci, found.name_zh) if found else (name, name)


def _groups(catalog: Catalog, needs: FormulationNeeds, policy: FormulationPolicy) -> list[_Group]:
    groups: list[_Group] = []
    if needs.price_cap_rmb is not None:
        groups.append(
            _Group(
                "price_cap",
                "price_cap",
                f"price cap {needs.price_cap_rmb:g} RMB",
                f"价格上限 {needs.price_cap_rmb:g} 元",
                lambda n, p: (n.model_copy(update={"price_cap_rmb": None}), p),
                True,
            )
        )
    for item in needs.include:
        groups.append(
            _Group(
                f"include:{item.ingredient}",
                "include",
                f"must contain {_names(catalog, item.ingredient)[0]}",
                f"必须含有{_names(catalog, item.ingredient)[1]}",
                _drop_include(item.ingredient),
                True,
            )
        )
    for exclusion in needs.exclusions:
        groups.append(
            _Group(
                f"exclusion:{exclusion}",
                "exclusion",
                exclusion.replace("_", "-"),
                _EXCLUSION_ZH[exclusion],
                _drop_exclusion(exclusion),
                True,
            )
        )
    if needs.product_type is not None or needs.base_id is not None:
        what = needs.base_id or needs.product_type
        groups.append(
            _Group(
                "product_type",
                "product_type",
                f"product type {what}",
                f"产品类型 {PRODUCT_TYPE_NAMES.get(str(what), (str(what),))[0]}",
                lambda n, p: (n.model_copy(update={"product_type": None, "base_id": None}), p),
                True,
            )
        )
    if needs.out_of_stock:
        groups.append(
            _Group(
                "stock",
                "stock",
                f"{len(needs.out_of_stock)} modules out of stock",
                f"{len(needs.out_of_stock)}个模块缺货",
                lambda n, p: (n.model_copy(update={"out_of_stock": []}), p),
                True,
            )
        )
    if needs.max_modules is not None and needs.max_modules < policy.max_modules:
        groups.append(
            _Group(
                "max_modules",
                "max_modules",
                f"at most {needs.max_modules} modules",
                f"最多{needs.max_modules}个模块",
                lambda n, p: (n.model_copy(update={"max_modules": None}), p),
                True,
            )
        )
    for name in needs.avoid:
        groups.append(
            _Group(
                f"avoid:{name}",
                "avoid",
                f"allergy to {_names(catalog, name)[0]}",
                f"对{_names(catalog, name)[1]}过敏",
                _drop_avoid(name),
                False,
            )
        )
    if needs.pregnancy_safe:
        groups.append(
            _Group(
                "pregnancy_safe",
                "pregnancy",
                "pregnancy-safe",
                "孕期安全",
                lambda n, p: (n.model_copy(update={"pregnancy_safe": False}), p),
                False,
            )
        )
    budget = policy.irritation_budget_sensitive if needs.sensitive else policy.irritation_budget
    groups.append(
        _Group(
            "irritation_budget",
            "irritation",
            f"irritation budget {budget:g}" + (" for sensitive skin" if needs.sensitive else ""),
            f"刺激性上限 {budget:g}" + ("（敏感肌）" if needs.sensitive else ""),
            lambda n, p: (n, replace(p, irritation_budget=1e9, irritation_budget_sensitive=1e9)),
            False,
        )
    )
    return groups


_EXCLUSION_ZH = {
    "fragrance_free": "无香精",
    "alcohol_free": "无酒精",
    "vegan": "纯素",
    "silicone_free": "无硅油",
    "paraben_free": "无尼泊金酯",
    "essential_oil_free": "无精油",
    "nut_free": "无坚果成分",
}


def _drop_include(name: str) -> _Relax:
    return lambda n, p: (
        n.model_copy(update={"include": [i for i in n.include if i.ingredient != name]}),
        p,
    )


def _drop_exclusion(name: str) -> _Relax:
    return lambda n, p: (
        n.model_copy(update={"exclusions": [e for e in n.exclusions if e != name]}),
        p,
    )


def _drop_avoid(name: str) -> _Relax:
    return lambda n, p: (n.model_copy(update={"avoid": [a for a in n.avoid if a != name]}), p)
