"""Per-catalog arrays the solver reads: computed once per catalog version, shared by requests.

Rows are modules (or bases) in catalog order; columns are ingredients in catalog order. Building
this once keeps a request's filtering and model building to array slicing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from formulations.catalog import MARKETS, Catalog, strictest_limit
from formulations.schema import BENEFITS, Phase
from formulations.scoring import base_coefficients, module_coefficients

PHASES: tuple[Phase, ...] = ("water", "oil", "cool_down")


@dataclass(frozen=True)
class CatalogIndex:
    """Dense views of the catalog (``n_modules`` rows, ``n_ingredients`` columns)."""

    ingredient_ids: tuple[str, ...]
    module_ids: tuple[str, ...]
    base_ids: tuple[str, ...]
    module_composition: NDArray[np.float64]  # (n_modules, n_ingredients), % of final product
    module_benefits: NDArray[np.float64]  # (n_modules, n_benefits)
    module_irritation: NDArray[np.float64]  # (n_modules,)
    module_cost: NDArray[np.float64]  # (n_modules,), RMB per kg of product
    module_inclusion: NDArray[np.float64]  # (n_modules,)
    module_phase: NDArray[np.int64]  # (n_modules,), index into PHASES
    module_ph: NDArray[np.float64]  # (n_modules, 2): window where all its ingredients are fine
    base_composition: NDArray[np.float64]  # (n_bases, n_ingredients), % of the base, water incl.
    base_benefits: NDArray[np.float64]
    base_irritation: NDArray[np.float64]
    base_cost: NDArray[np.float64]  # RMB per kg of base
    flags: dict[str, NDArray[np.bool_]]  # flag -> (n_ingredients,) mask
    # market -> (n_bases, n_ingredients) regulatory maximum in each base's scope/area (inf: none)
    legal_max: dict[str, NDArray[np.float64]]
    use_max: NDArray[np.float64]  # (n_ingredients,) top of the typical use range
    ingredient_ph: NDArray[np.float64]  # (n_ingredients, 2)
    preservative_mec: NDArray[np.float64]  # (n_ingredients,) inf for non-preservatives
    base_capacity: NDArray[np.float64]  # (n_bases, 3) per phase
    base_capacity_total: NDArray[np.float64]  # (n_bases,)
    base_ph: NDArray[np.float64]  # (n_bases, 2) adjustable range
    incompatible: NDArray[np.bool_]  # (n_ingredients, n_ingredients), symmetric
    module_actives: NDArray[np.bool_]  # (n_modules, n_ingredients): the module's actives
    module_family: NDArray[np.int64]  # (n_modules,) same actives and carrier = same family
    # (n_modules, n_modules): the two may not be in one formula (an incompatible ingredient
    # pair, or a shared active); the diagonal is True
    module_conflict: NDArray[np.bool_]
    module_clash: NDArray[np.bool_]  # (n_modules, n_modules): an incompatible ingredient pair
    module_base_clash: NDArray[np.bool_]  # (n_modules, n_bases)

    def column(self, ingredient_id: str) -> int:
        """The column of an ingredient."""
        return self.ingredient_ids.index(ingredient_id)


_CACHE: dict[str, CatalogIndex] = {}
_LOCK = threading.Lock()


def catalog_index(catalog: Catalog) -> CatalogIndex:
    """The index of ``catalog``, built on first use and cached by catalog version."""
    with _LOCK:
        cached = _CACHE.get(catalog.version)
        if cached is None:
            cached = _build(catalog)
            _CACHE[catalog.version] = cached
        return cached


def _build(catalog: Catalog) -> CatalogIndex:
    ingredient_ids = tuple(catalog.ingredients)
    column = {ingredient_id: j for j, ingredient_id in enumerate(ingredient_ids)}
    modules = list(catalog.modules.values())
    bases = list(catalog.bases.values())
    module_composition = np.zeros((len(modules), len(ingredient_ids)))
    module_benefits = np.zeros((len(modules), len(BENEFITS)))
    module_ph = np.zeros((len(modules), 2))
    irritation, cost = np.zeros(len(modules)), np.zeros(len(modules))
    for row, module in enumerate(modules):
        for component in module.composition:
            module_composition[row, column[component.id]] += component.pct
        coefficients = module_coefficients(catalog, module)
        for k, benefit in enumerate(BENEFITS):
            module_benefits[row, k] = coefficients.benefits.get(benefit, 0.0)
        irritation[row], cost[row] = coefficients.irritation, coefficients.cost_per_kg
        ranges = [catalog.ingredients[c.id].ph_range for c in module.composition]
        module_ph[row] = (max(r[0] for r in ranges), min(r[1] for r in ranges))
    base_composition = np.zeros((len(bases), len(ingredient_ids)))
    base_benefits = np.zeros((len(bases), len(BENEFITS)))
    base_irritation, base_cost = np.zeros(len(bases)), np.zeros(len(bases))
    for row, base in enumerate(bases):
        for part in base.composition:
            base_composition[row, column[part.id]] += part.pct
        base_composition[row, column["water"]] += 100 - sum(c.pct for c in base.composition)
        coefficients = base_coefficients(catalog, base)
        for k, benefit in enumerate(BENEFITS):
            base_benefits[row, k] = coefficients.benefits.get(benefit, 0.0)
        base_irritation[row], base_cost[row] = coefficients.irritation, coefficients.cost_per_kg
    flag_names = sorted({flag for ing in catalog.ingredients.values() for flag in ing.flags})
    flags: dict[str, NDArray[np.bool_]] = {
        name: np.array([name in catalog.ingredients[i].flags for i in ingredient_ids])
        for name in flag_names
    }
    legal_max: dict[str, NDArray[np.float64]] = {
        market: np.array(
            [
                [
                    _limit(catalog, ingredient_id, base.scope, base.area, market)
                    for ingredient_id in ingredient_ids
                ]
                for base in bases
            ]
        ).reshape(len(bases), len(ingredient_ids))
        for market in MARKETS
    }
    ingredients = [catalog.ingredients[i] for i in ingredient_ids]
    incompatible = np.zeros((len(ingredient_ids), len(ingredient_ids)), dtype=bool)
    for ingredient in ingredients:
        for other in ingredient.incompatible_with:
            if other.id in column:
                incompatible[column[ingredient.id], column[other.id]] = True
                incompatible[column[other.id], column[ingredient.id]] = True
    module_actives = np.zeros_like(module_composition, dtype=bool)
    for row, module in enumerate(modules):
        for active in module.actives:
            module_actives[row, column[active]] = True
    family_ids: dict[tuple[frozenset[str], str], int] = {}
    module_family = np.array(
        [
            family_ids.setdefault((frozenset(m.actives), m.carrier), len(family_ids))
            for m in modules
        ],
        dtype=np.int64,
    )
    present = (module_composition > 0).astype(np.float64)
    clash = (present @ incompatible.astype(np.float64) @ present.T) > 0
    shares_active = (module_actives.astype(np.float64) @ module_actives.T.astype(np.float64)) > 0
    base_present = (base_composition > 0).astype(np.float64)
    return CatalogIndex(
        module_clash=clash,
        module_base_clash=(present @ incompatible.astype(np.float64) @ base_present.T) > 0,
        module_conflict=clash | shares_active,
        module_family=module_family,
        module_actives=module_actives,
        incompatible=incompatible,
        legal_max=dict(legal_max),
        use_max=np.array([ing.typical_use_pct[1] for ing in ingredients]),
        ingredient_ph=np.array([ing.ph_range for ing in ingredients]).reshape(-1, 2),
        preservative_mec=np.array(
            [ing.preservative_mec_pct or np.inf for ing in ingredients], dtype=np.float64
        ),
        base_capacity=np.array(
            [[base.capacity_pct.get(phase, 0.0) for phase in PHASES] for base in bases]
        ).reshape(len(bases), len(PHASES)),
        base_capacity_total=np.array([base.capacity_total_pct for base in bases]),
        base_ph=np.array([base.ph_adjustable for base in bases]).reshape(len(bases), 2),
        ingredient_ids=ingredient_ids,
        module_ids=tuple(m.id for m in modules),
        base_ids=tuple(b.id for b in bases),
        module_composition=module_composition,
        module_benefits=module_benefits,
        module_irritation=irritation,
        module_cost=cost,
        module_inclusion=np.array([m.inclusion_pct for m in modules]),
        module_phase=np.array([PHASES.index(m.phase) for m in modules], dtype=np.int64),
        module_ph=module_ph,
        base_composition=base_composition,
        base_benefits=base_benefits,
        base_irritation=base_irritation,
        base_cost=base_cost,
        flags=dict(flags),
    )


def _limit(catalog: Catalog, ingredient_id: str, scope: str, area: str, market: str) -> float:
    limit = strictest_limit(
        catalog.ingredients[ingredient_id],
        scope,  # type: ignore[arg-type]
        area,  # type: ignore[arg-type]
        (market,),  # type: ignore[arg-type]
    )
    return np.inf if limit is None else limit.max_pct
