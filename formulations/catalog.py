"""The catalog: ingredients, prohibited substances, base formulas and the generated modules.

Loaded once from the YAML files in ``formulations/catalog/`` (or another folder of the same
shape). Its version is a hash of those files, so any edit yields a new version that every formula
and SKU records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from formulations.schema import (
    Area,
    BaseFormula,
    Ingredient,
    Market,
    Module,
    ProhibitedSubstance,
    RegulatoryLimit,
    Scope,
)
from skinlab.errors import CatalogInvalid

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
INGREDIENT_FILES = "ingredients*.yaml"
MARKETS: tuple[Market, ...] = ("CN", "EU")
_Item = TypeVar("_Item", Ingredient, ProhibitedSubstance, BaseFormula)
_Named = TypeVar("_Named", Ingredient, ProhibitedSubstance)


@dataclass(frozen=True)
class Catalog:
    """Everything the solver chooses from, with the version that names this exact content."""

    version: str
    ingredients: Mapping[str, Ingredient]
    prohibited: Mapping[str, ProhibitedSubstance]
    bases: Mapping[str, BaseFormula]
    modules: Mapping[str, Module]
    rules: Mapping[str, Any] = field(default_factory=dict)
    dropped_modules: tuple[str, ...] = ()

    def find_ingredient(self, name: str) -> Ingredient | None:
        """Look an ingredient up by id, INCI name, Chinese name or CAS number."""
        return _find(self.ingredients.values(), name)

    def find_prohibited(self, name: str) -> ProhibitedSubstance | None:
        """Look a prohibited substance up by id, INCI name, Chinese name or CAS number."""
        return _find(self.prohibited.values(), name)


def _find(items: Iterable[_Named], name: str) -> _Named | None:
    key = name.strip().lower()
    for item in items:
        if key in (item.id, item.inci.lower(), item.name_zh.lower()) or key in item.cas:
            return item
    return None


def applicable_limits(
    ingredient: Ingredient, scope: Scope, area: Area, markets: Iterable[Market] = MARKETS
) -> list[RegulatoryLimit]:
    """The regulatory entries that bind this ingredient in a product of this scope and area."""
    wanted = set(markets)
    return [
        limit
        for limit in ingredient.limits
        if limit.market in wanted and limit.scope in (scope, "all") and limit.area in (area, "all")
    ]


def strictest_limit(
    ingredient: Ingredient, scope: Scope, area: Area, markets: Iterable[Market] = MARKETS
) -> RegulatoryLimit | None:
    """The lowest applicable regulatory maximum, or ``None`` when no market restricts it."""
    limits = applicable_limits(ingredient, scope, area, markets)
    return min(limits, key=lambda limit: limit.max_pct) if limits else None


def load_catalog(folder: Path | None = None) -> Catalog:
    """Read, validate and assemble the catalog in ``folder`` (the shipped one by default).

    Raises
    ------
    CatalogInvalid
        A file is missing or breaks the schema; ``details`` says which file and where.
    """
    folder = Path(folder or CATALOG_DIR).resolve()
    files = sorted(folder.glob(INGREDIENT_FILES)) + [
        folder / name for name in ("prohibited.yaml", "bases.yaml", "modules.yaml")
    ]
    missing = [str(path) for path in files if not path.is_file()]
    if missing or not any(folder.glob(INGREDIENT_FILES)):
        raise CatalogInvalid(f"Catalog files missing in {folder}", details={"missing": missing})
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    # Cached by content, so an edited folder is read again and gets its new version.
    return _load_cached(folder, digest.hexdigest())


@lru_cache(maxsize=4)
def _load_cached(folder: Path, digest: str) -> Catalog:
    from formulations.modules import generate_modules

    ingredients: dict[str, Ingredient] = {}
    for path in sorted(folder.glob(INGREDIENT_FILES)):
        for item in _parse(path, Ingredient, "ingredients"):
            if item.id in ingredients:
                raise CatalogInvalid(f"Ingredient {item.id} is defined twice ({path.name})")
            ingredients[item.id] = item
    prohibited = {
        p.id: p for p in _parse(folder / "prohibited.yaml", ProhibitedSubstance, "prohibited")
    }
    bases = {b.id: b for b in _parse(folder / "bases.yaml", BaseFormula, "bases")}
    rules = yaml.safe_load((folder / "modules.yaml").read_text(encoding="utf-8"))
    version = f"cat-{_dated_version(folder)}-{digest[:10]}"
    draft = Catalog(version, ingredients, prohibited, bases, {}, rules)
    modules, dropped = generate_modules(draft)
    return Catalog(version, ingredients, prohibited, bases, modules, rules, tuple(dropped))


def _dated_version(folder: Path) -> str:
    rules = yaml.safe_load((folder / "modules.yaml").read_text(encoding="utf-8")) or {}
    return str(rules.get("version", "0")).replace(".", "")


def _parse(path: Path, model: type[_Item], key: str) -> list[_Item]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogInvalid(f"{path.name} is not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        raise CatalogInvalid(f"{path.name} needs a top-level list '{key}'")
    items: list[_Item] = []
    for index, raw in enumerate(document[key]):
        try:
            items.append(model.model_validate(raw))
        except ValidationError as exc:
            name = raw.get("id", "?") if isinstance(raw, dict) else "?"
            raise CatalogInvalid(
                f"{path.name} item {index} ({name}) breaks the schema",
                details={"file": path.name, "item": index, "errors": exc.errors(include_url=False)},
            ) from exc
    return items
