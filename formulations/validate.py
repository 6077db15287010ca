"""``skinlab catalog validate``: check a catalog beyond its schema and report in plain words.

Schema errors stop loading (``CatalogInvalid``). Once loaded, this checks references between
files, units and sums, every base and module against the regulatory table, preservation of every
base at full module load, and that nothing prohibited can be chosen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from formulations.catalog import MARKETS, Catalog, strictest_limit
from formulations.checker import composition_of
from formulations.schema import BaseFormula, Ingredient

MIN_MODULES = 1000
MIN_INGREDIENTS = 150
MIN_BASES = 8


@dataclass
class ValidationReport:
    """Findings: errors make the catalog unusable, warnings deserve a look."""

    catalog_version: str
    counts: dict[str, int]
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dropped_modules: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "catalog_version": self.catalog_version,
            "ok": self.ok,
            "counts": self.counts,
            "errors": self.errors,
            "warnings": self.warnings,
            "dropped_modules": self.dropped_modules,
        }


def validate_catalog(catalog: Catalog) -> ValidationReport:
    """Run every rule over the catalog and collect the findings."""
    report = ValidationReport(
        catalog_version=catalog.version,
        counts={
            "ingredients": len(catalog.ingredients),
            "prohibited": len(catalog.prohibited),
            "bases": len(catalog.bases),
            "modules": len(catalog.modules),
            "regulatory_limits": sum(len(i.limits) for i in catalog.ingredients.values()),
        },
        dropped_modules=list(catalog.dropped_modules),
    )
    _sizes(catalog, report)
    for ingredient in catalog.ingredients.values():
        _ingredient(catalog, ingredient, report)
    _prohibited(catalog, report)
    for base in catalog.bases.values():
        _base(catalog, base, report)
    _modules(catalog, report)
    return report


def _sizes(catalog: Catalog, report: ValidationReport) -> None:
    if len(catalog.ingredients) < MIN_INGREDIENTS:
        report.warnings.append(f"only {len(catalog.ingredients)} ingredients (< {MIN_INGREDIENTS})")
    if len(catalog.modules) < MIN_MODULES:
        report.warnings.append(f"only {len(catalog.modules)} modules (< {MIN_MODULES})")
    if len(catalog.bases) < MIN_BASES:
        report.warnings.append(f"only {len(catalog.bases)} bases (< {MIN_BASES})")
    inci = Counter(i.inci.lower() for i in catalog.ingredients.values())
    for name, count in inci.items():
        if count > 1:
            report.errors.append(f"INCI name {name!r} is used by {count} ingredients")
    cas = Counter(c for i in catalog.ingredients.values() for c in i.cas)
    for number, count in cas.items():
        if count > 1:
            report.warnings.append(f"CAS {number} is shared by {count} ingredients")


def _ingredient(catalog: Catalog, ingredient: Ingredient, report: ValidationReport) -> None:
    where = f"ingredient {ingredient.id}"
    for other in ingredient.incompatible_with:
        if other.id not in catalog.ingredients:
            report.errors.append(f"{where}: incompatible_with names unknown {other.id}")
    if ingredient.effective_pct is not None:
        low, high = ingredient.typical_use_pct
        if not low <= ingredient.effective_pct <= high:
            report.warnings.append(
                f"{where}: effective dose {ingredient.effective_pct}% is outside its use range"
            )
    limit = strictest_limit(ingredient, "leave_on", "face", MARKETS)
    if (
        limit is not None
        and ingredient.typical_use_pct[1] > limit.max_pct + 1e-9
        and limit.max_pct > 0
    ):
        report.errors.append(
            f"{where}: use range tops out at {ingredient.typical_use_pct[1]}% above the "
            f"{limit.market} limit {limit.max_pct}% ({limit.source})"
        )
    for entry in ingredient.limits:
        if "not verified" in entry.source.lower():
            report.warnings.append(
                f"{where}: {entry.market} limit source not verified: {entry.source}"
            )
    if ingredient.category == "preservative" and not any(
        entry.market == "CN" for entry in ingredient.limits
    ):
        report.warnings.append(f"{where}: a preservative without a CN positive-list entry")


def _prohibited(catalog: Catalog, report: ValidationReport) -> None:
    prohibited_cas = {c: p.id for p in catalog.prohibited.values() for c in p.cas}
    for ingredient in catalog.ingredients.values():
        if ingredient.id in catalog.prohibited:
            report.errors.append(f"ingredient {ingredient.id} is also listed as prohibited")
        for number in ingredient.cas:
            if number in prohibited_cas:
                report.errors.append(
                    f"ingredient {ingredient.id} has the CAS {number} of prohibited "
                    f"{prohibited_cas[number]}"
                )


def _base(catalog: Catalog, base: BaseFormula, report: ValidationReport) -> None:
    where = f"base {base.id}"
    unknown = [c.id for c in base.composition if c.id not in catalog.ingredients]
    unknown += [p for p in base.preservative_system if p not in catalog.ingredients]
    if unknown:
        report.errors.append(f"{where}: unknown ingredients {unknown}")
        return
    if all(catalog.ingredients[p].preservative_mec_pct is None for p in base.preservative_system):
        # Boosters (ethylhexylglycerin, glycols) are normal next to a preservative, not alone.
        report.errors.append(f"{where}: the preservative system has no listed preservative")
    totals = composition_of(catalog, base, [])
    for ingredient_id, pct in totals.items():
        ingredient = catalog.ingredients[ingredient_id]
        limit = strictest_limit(ingredient, base.scope, base.area, MARKETS)
        if limit is not None and pct > limit.max_pct + 1e-9:
            report.errors.append(
                f"{where}: {ingredient_id} {pct:.3f}% over the {limit.market} limit "
                f"{limit.max_pct}%"
            )
        if pct > ingredient.typical_use_pct[1] + 1e-9:
            report.errors.append(f"{where}: {ingredient_id} {pct:.3f}% over its use range")
    share = 1 - base.capacity_total_pct / 100
    strength = sum(
        pct * share / mec
        for ingredient_id, pct in totals.items()
        if (mec := catalog.ingredients[ingredient_id].preservative_mec_pct) is not None
    )
    if strength < 1:
        report.errors.append(
            f"{where}: preservation {strength:.2f} < 1 when modules take {base.capacity_total_pct}%"
        )
    if sum(base.capacity_pct.values()) < base.capacity_total_pct:
        report.warnings.append(f"{where}: phase capacities add up to less than the total capacity")


def _modules(catalog: Catalog, report: ValidationReport) -> None:
    for module in catalog.modules.values():
        for part in module.composition:
            ingredient = catalog.ingredients[part.id]
            limit = strictest_limit(ingredient, "leave_on", "face", MARKETS)
            if limit is not None and part.pct > limit.max_pct + 1e-9:
                report.errors.append(
                    f"module {module.id}: {part.id} {part.pct}% over {limit.max_pct}%"
                )
    covered = {b.product_type for b in catalog.bases.values()}
    families = Counter(frozenset(m.actives) for m in catalog.modules.values())
    report.counts["module_families"] = len(families)
    report.counts["product_types"] = len(covered)
