"""One model for every "what if this requirement were lifted?" question of a diagnosis.

The MILP is built once, over the full catalog, for the request with every one of its own
requirements lifted (the catalog's rules - regulation, pH, preservation, compatibility, room -
always stay). Each requirement is then a switch on that model: the price cap, the irritation
budget and the module limit are row bounds, a required ingredient is a row, and an exclusion,
an allergy, pregnancy safety, the product type or the stock list are upper bounds on the
columns of the modules and bases they rule out. Asking whether a set of lifted requirements
is feasible changes bounds and re-runs HiGHS; nothing is rebuilt.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace

import highspy
import numpy as np
from numpy.typing import NDArray

from formulations.catalog import Catalog
from formulations.index import catalog_index
from formulations.model import Formulation, formulation, to_highs
from formulations.needs import EXCLUDED_FLAGS, FormulationNeeds
from formulations.problem import FormulationPolicy, resolve_request, select_candidates


@dataclass(frozen=True)
class Switch:
    """What one requirement fixes in the model: row bounds, or columns it forbids."""

    rows: tuple[tuple[int, float, float], ...] = ()  # (row, lower, upper) while in force
    columns: tuple[int, ...] = ()  # columns forced to 0 while in force


class ElasticModel:
    """The widest model of a request and a switch per requirement key (see ``diagnose``)."""

    def __init__(
        self,
        catalog: Catalog,
        needs: FormulationNeeds,
        policy: FormulationPolicy,
        widest: tuple[FormulationNeeds, FormulationPolicy],
    ) -> None:
        index = catalog_index(catalog)
        # No irritation row in the widest model (its own switch adds one): an infinite budget
        # rather than the 1e9 of a lifted group, which HiGHS would see as a badly scaled bound.
        widest = (
            widest[0],
            replace(widest[1], irritation_budget=np.inf, irritation_budget_sensitive=np.inf),
        )
        request = resolve_request(catalog, *widest)
        candidates = select_candidates(catalog, request, widest[1], prune=False)
        self.empty = len(candidates.bases) == 0
        model = formulation(
            index,
            request,
            candidates,
            suits_skin=np.zeros(len(candidates.bases), dtype=bool),
            minimise="nothing",
        )
        self.model = model
        self.switches = _switches(catalog, needs, policy, model)
        self.highs = to_highs(model, policy.time_limit_s)
        # Presolve's probing on ~1000 binaries and ~1500 rows took 0.7-1 s per question, the
        # rest of the solve 50 ms (measured); these models are re-solved with new bounds anyway.
        self.highs.setOptionValue("presolve", "off")

    def least(self, lifted: Collection[str], what: str | None = None) -> float | None:
        """Least ``what`` ("cost" or "irritation") with the ``lifted`` requirements (keys)
        lifted and the others in force; ``None`` when infeasible; ``0.0`` for ``what=None``
        (a feasibility check) when feasible."""
        if self.empty:
            return None
        row = {"cost": self.model.cost, "irritation": self.model.irritation}.get(what or "", {})
        self._apply(lifted)
        columns = np.array(sorted(row), dtype=np.int32)
        costs = np.array([-row[c] for c in sorted(row)], dtype=np.float64)
        if len(columns):
            self.highs.changeColsCost(len(columns), columns, costs)
        self.highs.run()
        info = self.highs.getInfo()
        found = info.primal_solution_status == 2  # kSolutionStatusFeasible
        value = float(info.objective_function_value)
        if len(columns):
            self.highs.changeColsCost(len(columns), columns, np.zeros(len(columns)))
        if not found:
            return None
        return 0.0 if what is None else -value

    def _apply(self, lifted: Collection[str]) -> None:
        upper = self.model.upper.copy()
        for key, switch in self.switches.items():
            in_force = key not in lifted
            for row, lower, up in switch.rows:
                bounds = (lower, up) if in_force else (-highspy.kHighsInf, highspy.kHighsInf)
                self.highs.changeRowBounds(row, *bounds)
            if in_force and switch.columns:
                upper[list(switch.columns)] = 0.0
        columns = np.arange(len(upper), dtype=np.int32)
        self.highs.changeColsBounds(len(columns), columns, self.model.lower, upper)


def _switches(
    catalog: Catalog, needs: FormulationNeeds, policy: FormulationPolicy, model: Formulation
) -> Mapping[str, Switch]:
    index = catalog_index(catalog)
    x0, y0 = model.x0, model.y0
    modules, bases = model.modules, model.bases
    rows = model.rows
    switches: dict[str, Switch] = {}

    def new_row(coefficients: Mapping[int, float], lower: float, upper: float) -> int:
        rows.add(dict(coefficients), -np.inf, np.inf)
        return len(rows.lower) - 1

    def banning(mask: NDArray[np.bool_]) -> tuple[int, ...]:
        in_module = (index.module_composition[modules][:, mask] > 0).any(axis=1)
        in_base = (index.base_composition[bases][:, mask] > 0).any(axis=1)
        return tuple((x0 + np.flatnonzero(in_module)).tolist()) + tuple(
            (y0 + np.flatnonzero(in_base)).tolist()
        )

    def flagged(flags: Collection[str]) -> NDArray[np.bool_]:
        mask = np.zeros(len(index.ingredient_ids), dtype=bool)
        for flag in flags:
            if flag in index.flags:
                mask |= index.flags[flag]
        return mask

    if needs.price_cap_rmb is not None:
        cap = needs.price_cap_rmb / policy.price_markup / (needs.bottle_ml / 1000)
        row = new_row(model.cost, -np.inf, cap)
        switches["price_cap"] = Switch(rows=((row, -np.inf, cap),))
    for item in needs.include:
        found = catalog.find_ingredient(item.ingredient)
        if found is None:
            continue
        column = index.column(found.id)
        A = index.module_composition[modules, column]
        C = index.base_composition[bases, column]
        present = {x0 + int(m): 1.0 for m in np.flatnonzero(A > 0)}
        present |= {y0 + int(b): 1.0 for b in np.flatnonzero(C > 0)}
        bounds = [(new_row(present, 1, np.inf), 1.0, np.inf)]
        if item.min_pct:
            dose = {x0 + int(m): float(A[m]) for m in np.flatnonzero(A > 0)}
            dose |= {model.w0 + int(b): float(C[b]) / 100 for b in np.flatnonzero(C > 0)}
            bounds.append((new_row(dose, item.min_pct, np.inf), float(item.min_pct), np.inf))
        switches[f"include:{item.ingredient}"] = Switch(rows=tuple(bounds))
    for exclusion in needs.exclusions:
        switches[f"exclusion:{exclusion}"] = Switch(
            columns=banning(flagged(EXCLUDED_FLAGS[exclusion]))
        )
    if needs.product_type is not None or needs.base_id is not None:
        wanted = {
            b.id
            for b in catalog.bases.values()
            if (needs.base_id is None or b.id == needs.base_id)
            and (needs.product_type is None or b.product_type == needs.product_type)
        }
        others = [y0 + i for i, b in enumerate(bases) if index.base_ids[b] not in wanted]
        switches["product_type"] = Switch(columns=tuple(others))
    if needs.out_of_stock:
        gone = np.isin(np.array(index.module_ids)[modules], needs.out_of_stock)
        switches["stock"] = Switch(columns=tuple((x0 + np.flatnonzero(gone)).tolist()))
    if needs.max_modules is not None and needs.max_modules < policy.max_modules:
        row = new_row({x0 + m: 1.0 for m in range(len(modules))}, -np.inf, needs.max_modules)
        switches["max_modules"] = Switch(rows=((row, -np.inf, float(needs.max_modules)),))
    for name in needs.avoid:
        found = catalog.find_ingredient(name)
        mask = np.array([found is not None and i == found.id for i in index.ingredient_ids])
        switches[f"avoid:{name}"] = Switch(columns=banning(mask))
    if needs.pregnancy_safe:
        switches["pregnancy_safe"] = Switch(columns=banning(flagged({"pregnancy_caution"})))
    budget = policy.irritation_budget_sensitive if needs.sensitive else policy.irritation_budget
    row = new_row(model.irritation, -np.inf, budget)
    switches["irritation_budget"] = Switch(rows=((row, -np.inf, budget),))
    return switches
