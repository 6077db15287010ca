"""The formula as people see it: composition, label, warnings, compounding sheet, reasons.

These are the response models of ``POST /formulate`` and ``GET /skus/{code}`` and the JSON of
``skinlab formulate``. Concentrations are % w/w of the final product.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from formulations.schema import Benefit, ProductType


class Text(BaseModel):
    """A message for a person, in English and Chinese."""

    code: str
    en: str
    zh: str


class IngredientLine(BaseModel):
    id: str
    inci: str
    name_zh: str
    pct: float = Field(description="% w/w of the final product")
    functions: list[str]


class ModuleChoice(BaseModel):
    id: str
    name: str
    name_zh: str
    phase: str
    inclusion_pct: float
    actives: dict[str, float]
    benefits: dict[str, float] = Field(description="how much of each need it meets, 0-1")
    reasons: list[Text]


class LeftOut(BaseModel):
    id: str
    name: str
    name_zh: str
    reason: Text


class CompoundingStep(BaseModel):
    order: int
    what: str
    what_zh: str
    grams: float | None
    note: str
    note_zh: str


class CompoundingSheet(BaseModel):
    bottle_ml: int
    total_g: float
    density_g_per_ml: float
    steps: list[CompoundingStep]


class BaseChoice(BaseModel):
    id: str
    name: str
    name_zh: str
    product_type: ProductType
    share_pct: float


class SolverReport(BaseModel):
    name: str
    version: str
    status: str = Field(
        description="optimal (over the candidates kept), or feasible with its proven mip_gap"
    )
    objective: float
    mip_gap: float = Field(description="proven relative gap over the candidates kept")
    candidates: int
    pruned: int
    pruning_rule: str
    catalog_bound: float | None = Field(
        default=None,
        description="proven upper bound on the objective of any formula of the whole catalog "
        "(LP relaxation over every allowed module); null when not computed",
    )
    catalog_gap: float | None = Field(
        default=None,
        description="proven: no formula of the whole catalog beats this one by more than this "
        "fraction of its objective (0 means optimal over the whole catalog)",
    )
    build_ms: float
    solve_ms: float


class Versions(BaseModel):
    catalog: str
    solver: str
    engine: str
    skin_model: str | None = None


class Cost(BaseModel):
    materials_rmb_per_kg: float
    materials_rmb: float
    price_rmb: float


class NeedMet(BaseModel):
    weight: float
    met: float


class Formula(BaseModel):
    """A solved, checked formula and everything needed to make and explain it."""

    sku: str
    product_type: ProductType
    base: BaseChoice
    modules: list[ModuleChoice]
    ingredients: list[IngredientLine] = Field(description="descending % w/w")
    label_inci: str
    label_zh: str
    ph: float
    ph_window: tuple[float, float]
    markets: list[str]
    warnings: list[Text]
    compounding: CompoundingSheet
    cost: Cost
    irritation_points: float
    irritation_budget: float
    needs: dict[Benefit, NeedMet]
    left_out: list[LeftOut]
    solver: SolverReport
    versions: Versions
