"""From a request to a solvable problem: resolve the needs, filter and prune the candidates.

``resolve_request`` checks the needs against the catalog (unknown or prohibited ingredients,
contradictions) and turns them into hard rules. ``select_candidates`` drops every module or base
a hard rule excludes outright, remembering why, then keeps the strongest modules for each needed
benefit (the pruning that keeps a 1000-module catalog fast; see ``PRUNING_RULE``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from formulations._exclusions import EXCLUSION_REASONS, banned_columns, module_exclusions
from formulations.catalog import Catalog
from formulations.index import CatalogIndex, catalog_index
from formulations.needs import EXCLUDED_FLAGS, FormulationNeeds, benefit_weights
from formulations.schema import BENEFITS, Market
from formulations.scoring import COST_PENALTY, IRRITATION_PENALTY
from skinlab.errors import InvalidInput
from skinlab.settings import Settings

ACIDIC_BELOW = 4.5
PRUNING_RULE = (
    "the best dose of the {n} module families (same actives and carrier) that add most to "
    "each needed benefit in each phase and pH class, that best meet what is left along greedy "
    "paths, that are best overall, and that contain each required ingredient"
)


@dataclass(frozen=True)
class FormulationPolicy:
    """The brand's standing rules (from settings)."""

    max_modules: int = 4
    irritation_budget: float = 6.0
    irritation_budget_sensitive: float = 3.0
    price_markup: float = 6.0
    candidates_per_benefit: int = 3
    time_limit_s: float = 5.0
    catalog_bound: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> FormulationPolicy:
        """The policy the settings describe."""
        return cls(
            max_modules=settings.formulation_max_modules,
            irritation_budget=settings.irritation_budget,
            irritation_budget_sensitive=settings.irritation_budget_sensitive,
            price_markup=settings.price_markup,
            candidates_per_benefit=settings.candidates_per_benefit,
            time_limit_s=settings.solver_time_limit_s,
            catalog_bound=settings.formulation_catalog_bound,
        )


@dataclass(frozen=True)
class Request:
    """Needs resolved into hard rules and objective weights."""

    needs: FormulationNeeds
    weights: NDArray[np.float64]  # (n_benefits,) in BENEFITS order
    markets: tuple[Market, ...]
    max_modules: int
    irritation_budget: float
    cost_cap_per_kg: float | None
    banned_flags: frozenset[str]
    avoid: frozenset[str]
    include: tuple[tuple[str, float], ...]
    out_of_stock: frozenset[str]
    base_ids: tuple[str, ...]


@dataclass
class Candidates:
    """Rows of the catalog index the model is built on, and why strong modules were dropped."""

    bases: NDArray[np.int64]
    modules: NDArray[np.int64]
    # module id -> (English, Chinese) reason, for the strongest excluded modules only
    excluded: dict[str, tuple[str, str]] = field(default_factory=dict)
    pruned: int = 0
    # greedy partial formulas met while pruning (module rows), best first: warm starts
    paths: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)
    # every catalog module's stand-alone value for the request (``module_values``)
    values: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    # every module no rule excludes (before pruning)
    allowed: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def resolve_request(
    catalog: Catalog, needs: FormulationNeeds, policy: FormulationPolicy
) -> Request:
    """Check the needs against the catalog and derive the hard rules.

    Raises
    ------
    InvalidInput
        Codes ``UNKNOWN_INGREDIENT``, ``PROHIBITED_INGREDIENT``, ``UNKNOWN_BASE``,
        ``UNKNOWN_MODULE`` or ``CONTRADICTORY_NEEDS``, naming the offending values.
    """
    avoid = frozenset(_ingredient_id(catalog, name, allow_prohibited=True) for name in needs.avoid)
    include = tuple(
        (_ingredient_id(catalog, item.ingredient, allow_prohibited=False), item.min_pct or 0.0)
        for item in needs.include
    )
    banned = frozenset().union(*(EXCLUDED_FLAGS[e] for e in needs.exclusions))
    for ingredient_id, _ in include:
        ingredient = catalog.ingredients[ingredient_id]
        clash = []
        if ingredient_id in avoid:
            clash.append("it is also in the allergy/avoid list")
        if banned & set(ingredient.flags):
            clash.append(f"it is {sorted(banned & set(ingredient.flags))} and that is excluded")
        if needs.pregnancy_safe and "pregnancy_caution" in ingredient.flags:
            clash.append("it is not pregnancy-safe")
        if clash:
            raise InvalidInput(
                f"{ingredient.inci} is required but {'; '.join(clash)}.",
                code="CONTRADICTORY_NEEDS",
                message_zh=f"要求添加{ingredient.name_zh}，但它与其他要求冲突。",
                details={"ingredient": ingredient_id, "conflicts": clash},
            )
    base_ids = _allowed_bases(catalog, needs)
    check_module_ids(catalog, needs.out_of_stock)
    budget = policy.irritation_budget_sensitive if needs.sensitive else policy.irritation_budget
    cost_cap = None
    if needs.price_cap_rmb is not None:
        cost_cap = needs.price_cap_rmb / policy.price_markup / (needs.bottle_ml / 1000)
    weights = benefit_weights(needs)
    return Request(
        needs=needs,
        weights=np.array([weights.get(b, 0.0) for b in BENEFITS]),
        markets=tuple(sorted(set(needs.markets))),
        max_modules=min(needs.max_modules or policy.max_modules, policy.max_modules),
        irritation_budget=budget,
        cost_cap_per_kg=cost_cap,
        banned_flags=banned,
        avoid=avoid,
        include=include,
        out_of_stock=frozenset(needs.out_of_stock),
        base_ids=base_ids,
    )


def check_module_ids(catalog: Catalog, module_ids: list[str]) -> None:
    """Refuse module ids the catalog does not have (``UNKNOWN_MODULE``, the first 50 named)."""
    unknown = sorted(set(module_ids) - set(catalog.modules))
    if unknown:
        raise InvalidInput(
            f"Unknown module id(s): {unknown[:5]}",
            code="UNKNOWN_MODULE",
            message_zh="缺货清单中有未知的模块编号。",
            details={"unknown": unknown[:50]},
        )


def select_candidates(
    catalog: Catalog, request: Request, policy: FormulationPolicy, *, prune: bool = True
) -> Candidates:
    """The bases and modules a formula may use, strongest first within the pruning budget."""
    index = catalog_index(catalog)
    banned = banned_columns(index, request)
    base_rows = np.array([index.base_ids.index(b) for b in request.base_ids], dtype=np.int64)
    base_ok = ~(index.base_composition[base_rows][:, banned] > 0).any(axis=1)
    base_rows = base_rows[base_ok]
    value = module_values(index, request)
    codes = module_exclusions(index, request, banned, base_rows)
    allowed = codes == 0
    strong = np.argsort(-value, kind="stable")[: 3 * policy.candidates_per_benefit]
    excluded = {index.module_ids[i]: EXCLUSION_REASONS[codes[i]] for i in strong if codes[i]}
    rows = np.flatnonzero(allowed)
    if not prune:
        return Candidates(base_rows, rows, excluded, values=value, allowed=rows)
    n = policy.candidates_per_benefit
    family = index.module_family[rows].tolist()
    keep: set[int] = set()

    def best_families(
        gain: NDArray[np.float64],
        among: NDArray[np.bool_] | None = None,
        order: NDArray[np.int64] | None = None,
    ) -> None:
        """Keep the best dose of each of the ``n`` families with the highest ``gain``
        (``order``: the positions already sorted by it)."""
        if order is not None:
            ranked = order if among is None else order[among[order]]
        else:
            ranked = _top_first(gain, among, 4 * n)
        if (
            not pick(ranked)
            and order is None
            and len(ranked) < int(len(gain) if among is None else among.sum())
        ):
            positions = np.arange(len(gain)) if among is None else np.flatnonzero(among)
            pick(positions[np.argsort(-gain[positions], kind="stable")])

    def pick(ranked: NDArray[np.int64]) -> bool:
        """Keep the first dose of each new family in ``ranked``; True once ``n`` are found."""
        picked: set[int] = set()
        for position in ranked.tolist():
            if family[position] not in picked:
                picked.add(family[position])
                keep.add(int(rows[position]))
                if len(picked) == n:
                    return True
        return False

    # Diversity: the best families in every phase and pH class, since the strongest module of
    # one kind is often ruled out by room, pH or the irritation budget.
    kinds = index.module_phase[rows] * 2 + (index.module_ph[rows, 1] < ACIDIC_BELOW)
    cost = penalty(index, rows)
    for k, weight in enumerate(request.weights):
        if weight > 0:
            gain = weight * index.module_benefits[rows, k] - cost
            order = np.argsort(-gain, kind="stable")
            for kind in np.unique(kinds):
                best_families(gain, among=kinds == kind, order=order)
    # Greedy partial formulas: once the strongest modules meet most of a need, the best companion
    # is whatever meets what is left *and still fits* (pH, room, compatibility, irritation), often
    # a weak module on its own.
    paths: list[tuple[float, tuple[int, ...]]] = []
    for first in np.argsort(-value[rows], kind="stable")[: 2 * request.max_modules]:
        path = _Path(index, request, base_rows)
        path.add(int(rows[first]))
        for _ in range(request.max_modules - 1):
            fits = path.fits(rows)
            if not fits.any():
                break
            gain = np.minimum(index.module_benefits[rows], path.residual()) @ request.weights
            gain = np.where(fits, gain - cost, -np.inf)
            best_families(gain, among=fits)
            path.add(int(rows[int(np.argmax(gain))]))
        paths.append(path.score())
    best_families(value[rows])
    for ingredient_id, min_pct in request.include:
        dose = index.module_composition[rows, index.column(ingredient_id)]
        best_families(value[rows], among=dose >= max(min_pct, 1e-12))
    kept = np.array(sorted(keep), dtype=np.int64)
    paths.sort(key=lambda item: -item[0])
    return Candidates(
        base_rows,
        kept,
        excluded,
        pruned=len(rows) - len(kept),
        paths=paths,
        values=value,
        allowed=rows,
    )


def _top_first(
    gain: NDArray[np.float64], among: NDArray[np.bool_] | None, k: int
) -> NDArray[np.int64]:
    """The positions (within ``among``) of the ``k`` largest gains and all ties with the
    ``k``-th, largest first, ties by position: the start of a stable descending argsort."""
    positions = np.arange(len(gain)) if among is None else np.flatnonzero(among)
    values = -gain[positions]
    if k < len(values):
        threshold = np.partition(values, k - 1)[k - 1]
        positions = positions[values <= threshold]
        values = -gain[positions]
    return positions[np.argsort(values, kind="stable")]


class _Path:
    """A partial formula built greedily while pruning: what it meets and what still fits."""

    def __init__(self, index: CatalogIndex, request: Request, base_rows: NDArray[np.int64]) -> None:
        self.index, self.request = index, request
        self.met = np.zeros(len(BENEFITS))
        self.ph = (
            float(index.base_ph[base_rows, 0].min()),
            float(index.base_ph[base_rows, 1].max()),
        )
        self.room = index.base_capacity[base_rows].max(axis=0).astype(float)
        self.total = float(index.base_capacity_total[base_rows].max())
        self.irritation = 0.0
        self.conflicts = np.zeros(len(index.module_ids), dtype=bool)
        self.rows: list[int] = []

    def add(self, row: int) -> None:
        index = self.index
        self.met += index.module_benefits[row]
        low, high = index.module_ph[row]
        self.ph = (max(self.ph[0], float(low)), min(self.ph[1], float(high)))
        self.room[index.module_phase[row]] -= index.module_inclusion[row]
        self.total -= index.module_inclusion[row]
        self.irritation += float(index.module_irritation[row])
        self.conflicts |= index.module_conflict[row]
        self.rows.append(row)

    def score(self) -> tuple[float, tuple[int, ...]]:
        """Weighted met needs less penalties (the base left out), and the rows."""
        index = self.index
        rows = np.array(self.rows, dtype=np.int64)
        value = float(np.minimum(self.met, 1.0) @ self.request.weights)
        return value - float(penalty(index, rows).sum()), tuple(self.rows)

    def residual(self) -> NDArray[np.float64]:
        return np.maximum(1.0 - self.met, 0.0)

    def fits(self, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which of ``rows`` could join: pH, room, irritation and conflicts (not the base's
        ingredient limits, which depend on the base chosen later)."""
        index = self.index
        inclusion = index.module_inclusion[rows]
        ok = (
            (index.module_ph[rows, 0] <= self.ph[1])
            & (index.module_ph[rows, 1] >= self.ph[0])
            & (inclusion <= self.room[index.module_phase[rows]] + 1e-9)
            & (inclusion <= self.total + 1e-9)
            & (
                self.irritation + index.module_irritation[rows]
                <= self.request.irritation_budget + 1e-9
            )
            & ~self.conflicts[rows]
        )
        return np.asarray(ok, dtype=bool)


def module_values(index: CatalogIndex, request: Request) -> NDArray[np.float64]:
    """Each module's stand-alone value for this request: weighted benefits less penalties."""
    rows = np.arange(len(index.module_ids))
    gains = np.minimum(index.module_benefits, 1.0) @ request.weights
    return np.asarray(gains - penalty(index, rows), dtype=np.float64)


def penalty(index: CatalogIndex, rows: NDArray[np.int64]) -> NDArray[np.float64]:
    """Objective cost of each module: irritation and materials penalties (``scoring``)."""
    return np.asarray(
        IRRITATION_PENALTY * index.module_irritation[rows]
        + COST_PENALTY * index.module_cost[rows] / 1000,
        dtype=np.float64,
    )


def _ingredient_id(catalog: Catalog, name: str, *, allow_prohibited: bool) -> str:
    ingredient = catalog.find_ingredient(name)
    if ingredient is not None:
        return ingredient.id
    prohibited = catalog.find_prohibited(name)
    if prohibited is not None:
        if allow_prohibited:
            return prohibited.id
        raise InvalidInput(
            f"{prohibited.inci} is prohibited in cosmetics and can never be added: "
            f"{prohibited.reason}",
            code="PROHIBITED_INGREDIENT",
            message_zh=f"{prohibited.name_zh}是化妆品禁用原料，不能添加。",
            details={"ingredient": prohibited.id, "sources": prohibited.sources},
        )
    raise InvalidInput(
        f"Unknown ingredient {name!r}: give a catalog id, INCI name, Chinese name or CAS number.",
        code="UNKNOWN_INGREDIENT",
        message_zh=f"未知原料“{name}”：请使用目录中的编号、INCI名、中文名或CAS号。",
        details={"ingredient": name},
    )


def _allowed_bases(catalog: Catalog, needs: FormulationNeeds) -> tuple[str, ...]:
    if needs.base_id is not None:
        base = catalog.bases.get(needs.base_id)
        if base is None:
            raise InvalidInput(
                f"Unknown base {needs.base_id!r}; known bases: {sorted(catalog.bases)}",
                code="UNKNOWN_BASE",
                message_zh=f"未知基底“{needs.base_id}”。",
                details={"known": sorted(catalog.bases)},
            )
        if needs.product_type is not None and base.product_type != needs.product_type:
            raise InvalidInput(
                f"Base {base.id} is a {base.product_type}, not a {needs.product_type}.",
                code="CONTRADICTORY_NEEDS",
                message_zh=f"基底{base.name_zh}的产品类型与所选类型不一致。",
            )
        return (base.id,)
    return tuple(
        b.id
        for b in catalog.bases.values()
        if needs.product_type is None or b.product_type == needs.product_type
    )
