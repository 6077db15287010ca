"""The catalog's data contract: ingredients, regulatory limits, prohibited substances, bases.

The catalog lives as YAML under ``formulations/catalog/``; these models are its schema. Units are
fixed: every concentration is percent weight-for-weight (% w/w) of the *final product*, costs are
RMB per kilogram, pH is pH. Every regulatory number carries its source.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Market = Literal["CN", "EU"]
Scope = Literal["leave_on", "rinse_off", "all"]
Area = Literal["face", "eye", "lip", "all"]
Phase = Literal["water", "oil", "cool_down"]
Solubility = Literal["water", "oil", "glycol", "dispersible"]
Category = Literal[
    "active",
    "botanical",
    "soothing",
    "antioxidant",
    "peptide",
    "barrier_lipid",
    "humectant",
    "emollient",
    "solvent",
    "emulsifier",
    "thickener",
    "preservative",
    "ph_adjuster",
    "chelator",
    "uv_filter",
    "fragrance",
    "other",
]
Flag = Literal[
    "fragrance",  # perfume or a perfume component
    "fragrance_allergen",  # one of the EU labelled fragrance allergens
    "essential_oil",
    "alcohol",  # ethanol / alcohol denat. (not fatty alcohols)
    "animal_derived",  # not vegan
    "silicone",
    "paraben",
    "pregnancy_caution",  # avoid in pregnancy-safe formulas
    "photosensitising",  # tell the customer to use sun protection
    "nut_derived",
]
# What an ingredient can help with: the skin test's eight concerns plus two needs that come
# from the skin type (dryness) and the sensitive flag (sensitivity / barrier repair).
Benefit = Literal[
    "redness",
    "spots",
    "wrinkles",
    "pores",
    "acne",
    "oiliness",
    "dark_circles",
    "texture",
    "dryness",
    "sensitivity",
]
BENEFITS: tuple[Benefit, ...] = get_args(Benefit)
ProductType = Literal[
    "toner",
    "essence",
    "serum",
    "gel",
    "lotion",
    "cream",
    "rich_cream",
    "eye_cream",
    "sleeping_mask",
]
# (Chinese, English) name of each product type, for people.
PRODUCT_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "toner": ("爽肤水", "toner"),
    "essence": ("精华水", "essence"),
    "serum": ("精华液", "serum"),
    "gel": ("凝胶", "gel"),
    "lotion": ("乳液", "lotion"),
    "cream": ("面霜", "cream"),
    "rich_cream": ("滋润面霜", "rich cream"),
    "eye_cream": ("眼霜", "eye cream"),
    "sleeping_mask": ("睡眠面膜", "sleeping mask"),
}

_ID = r"^[a-z0-9][a-z0-9_]*$"
_CAS = r"^\d{2,7}-\d{2}-\d$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegulatoryLimit(_Frozen):
    """One maximum concentration in the final product, for one market and product scope.

    ``max_pct`` 0 means "not permitted in this scope" (e.g. an ingredient allowed in rinse-off
    products only gets ``scope: leave_on, max_pct: 0``).
    """

    market: Market
    scope: Scope = "all"
    area: Area = "all"
    max_pct: float = Field(ge=0, le=100)
    condition: str = ""
    source: str = Field(min_length=8, description="regulation, annex/table and entry")


class Incompatibility(_Frozen):
    id: str = Field(pattern=_ID)
    reason: str = Field(min_length=5)


class Ingredient(_Frozen):
    """A cosmetic ingredient as the catalog knows it."""

    id: str = Field(pattern=_ID)
    inci: str = Field(min_length=2)
    cas: list[str] = Field(default_factory=list)
    name_zh: str = Field(min_length=1, description="name in China's IECIC")
    category: Category
    functions: list[str] = Field(min_length=1)
    phase: Phase
    solubility: Solubility
    typical_use_pct: tuple[float, float]
    ph_range: tuple[float, float] = (3.0, 9.0)
    benefits: dict[Benefit, float] = Field(default_factory=dict)
    effective_pct: float | None = None
    evidence: str = ""
    irritation: int = Field(default=0, ge=0, le=5)
    flags: list[Flag] = Field(default_factory=list)
    incompatible_with: list[Incompatibility] = Field(default_factory=list)
    cost_per_kg_rmb: float = Field(gt=0)
    limits: list[RegulatoryLimit] = Field(default_factory=list)
    preservative_mec_pct: float | None = Field(
        default=None, gt=0, description="minimum effective concentration as a preservative"
    )

    @field_validator("cas")
    @classmethod
    def _cas_format(cls, value: list[str]) -> list[str]:
        import re

        for cas in value:
            if not re.match(_CAS, cas):
                raise ValueError(f"CAS number {cas!r} is not of the form 1234-56-7")
        return value

    @field_validator("benefits")
    @classmethod
    def _benefit_strength(cls, value: dict[str, float]) -> dict[str, float]:
        for name, strength in value.items():
            if not 0 < strength <= 1:
                raise ValueError(f"benefit {name} strength {strength} is not in (0, 1]")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> Ingredient:
        low, high = self.typical_use_pct
        if not 0 < low <= high <= 100:
            raise ValueError(
                f"typical_use_pct {self.typical_use_pct} is not 0 < low <= high <= 100"
            )
        ph_low, ph_high = self.ph_range
        if not 0 <= ph_low <= ph_high <= 14:
            raise ValueError(f"ph_range {self.ph_range} is not 0 <= low <= high <= 14")
        if self.benefits and self.effective_pct is None:
            raise ValueError("an ingredient with benefits needs effective_pct")
        if self.category == "preservative" and self.preservative_mec_pct is None:
            raise ValueError("a preservative needs preservative_mec_pct")
        return self


class ProhibitedSubstance(_Frozen):
    """A substance that may never be in a formula, in any market the catalog serves."""

    id: str = Field(pattern=_ID)
    inci: str = Field(min_length=2)
    cas: list[str] = Field(default_factory=list)
    name_zh: str = Field(min_length=1)
    reason: str = Field(min_length=5)
    sources: list[str] = Field(min_length=1)


class BaseComponent(_Frozen):
    id: str = Field(pattern=_ID)
    pct: float = Field(gt=0, le=100)


class BaseFormula(_Frozen):
    """A base product that modules are mixed into.

    ``composition`` lists every ingredient but water, as % w/w of the base itself; water is the
    balance (q.s. 100). ``capacity_pct`` is how much of the final product the modules joining each
    phase may make up; ``capacity_total_pct`` caps all modules together.
    """

    id: str = Field(pattern=_ID)
    name: str
    name_zh: str
    product_type: ProductType
    scope: Scope = "leave_on"
    area: Area = "face"
    ph: float = Field(ge=0, le=14)
    ph_adjustable: tuple[float, float]
    composition: list[BaseComponent] = Field(min_length=1)
    preservative_system: list[str] = Field(min_length=1)
    capacity_pct: dict[Phase, float]
    capacity_total_pct: float = Field(gt=0, le=60)
    suits_skin_types: list[Literal["dry", "normal", "oily", "combination"]] = Field(min_length=1)
    texture: Literal["watery", "light", "medium", "rich"]
    description: str = ""

    @model_validator(mode="after")
    def _sums(self) -> BaseFormula:
        total = sum(component.pct for component in self.composition)
        if total >= 100:
            raise ValueError(f"base {self.id}: non-water ingredients sum to {total:.2f}% >= 100%")
        low, high = self.ph_adjustable
        if not low <= self.ph <= high:
            raise ValueError(f"base {self.id}: pH {self.ph} is outside ph_adjustable {low}-{high}")
        ids = [component.id for component in self.composition]
        if len(ids) != len(set(ids)):
            raise ValueError(f"base {self.id}: an ingredient is listed twice")
        return self


class ModuleComponent(_Frozen):
    id: str = Field(pattern=_ID)
    pct: float = Field(gt=0, le=100, description="% w/w of the final product")


class Module(_Frozen):
    """An ingredient module: one active or a small blend at fixed doses in a carrier.

    ``composition`` is what the module adds to the final product (% w/w of the product), carrier
    included; it sums to ``inclusion_pct``, the share of the product the module takes up.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.+-]*$")
    name: str
    name_zh: str
    actives: dict[str, float] = Field(min_length=1)
    carrier: str
    phase: Phase
    inclusion_pct: float = Field(gt=0, le=40)
    composition: list[ModuleComponent] = Field(min_length=1)
    rule: str

    @model_validator(mode="after")
    def _sums(self) -> Module:
        total = sum(component.pct for component in self.composition)
        if abs(total - self.inclusion_pct) > 1e-6:
            raise ValueError(
                f"module {self.id}: composition sums to {total}, not {self.inclusion_pct}"
            )
        return self
