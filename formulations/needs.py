"""What a person needs from a formula: skin scores, skin type, preferences and constraints.

``FormulationNeeds`` is the request of ``POST /formulate`` and of ``skinlab formulate --needs``.
Scores come from an analysis (``analysis_id``, resolved by the caller) or are given directly.
``benefit_weights`` turns them into the weights the solver maximises.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from data.records import USER_ID_RULE, is_valid_user_id
from data.vocabulary import CONCERNS, Concern
from formulations.schema import Benefit, Market, ProductType

SkinType = Literal["dry", "normal", "oily", "combination"]
# (Chinese, English) name of each skin type, for people.
SKIN_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "dry": ("干性", "dry"),
    "normal": ("中性", "normal"),
    "oily": ("油性", "oily"),
    "combination": ("混合性", "combination"),
}
Exclusion = Literal[
    "fragrance_free",
    "alcohol_free",
    "vegan",
    "silicone_free",
    "paraben_free",
    "essential_oil_free",
    "nut_free",
]
BottleSize = Literal[30, 50, 100]

# Which ingredient flags each exclusion rules out.
EXCLUDED_FLAGS: dict[Exclusion, frozenset[str]] = {
    "fragrance_free": frozenset({"fragrance", "fragrance_allergen", "essential_oil"}),
    "alcohol_free": frozenset({"alcohol"}),
    "vegan": frozenset({"animal_derived"}),
    "silicone_free": frozenset({"silicone"}),
    "paraben_free": frozenset({"paraben"}),
    "essential_oil_free": frozenset({"essential_oil"}),
    "nut_free": frozenset({"nut_derived"}),
}
# Need for moisture by skin type, and for barrier care when the skin is sensitive (0-1).
DRYNESS_NEED: dict[SkinType, float] = {"dry": 0.8, "combination": 0.4, "normal": 0.25, "oily": 0.05}
SENSITIVITY_NEED = {True: 0.8, False: 0.1}
FOCUS_BOOST = 1.5


def _china() -> list[Market]:
    return ["CN"]


class Inclusion(BaseModel):
    """An ingredient the formula must contain, optionally at a minimum dose."""

    model_config = ConfigDict(extra="forbid")

    ingredient: str = Field(min_length=1, max_length=100, description="id, INCI, 中文名 or CAS")
    min_pct: float | None = Field(default=None, gt=0, le=100)


class FormulationNeeds(BaseModel):
    """A formulation request. Scores are 0-100, higher = more of the concern."""

    model_config = ConfigDict(extra="forbid")

    analysis_id: str | None = Field(default=None, max_length=64)
    scores: dict[Concern, float] | None = Field(
        default=None, description="skin scores 0-100 (higher = more of the concern)"
    )
    skin_type: SkinType | None = None
    sensitive: bool | None = None
    product_type: ProductType | None = None
    base_id: str | None = Field(default=None, max_length=64)
    markets: list[Market] = Field(default_factory=_china, min_length=1)
    focus: list[Benefit] = Field(default_factory=list, description="benefits the person asks for")
    include: list[Inclusion] = Field(default_factory=list, max_length=10)
    avoid: list[str] = Field(default_factory=list, max_length=50, description="allergies")
    exclusions: list[Exclusion] = Field(default_factory=list)
    pregnancy_safe: bool = False
    price_cap_rmb: float | None = Field(default=None, gt=0, description="retail price cap")
    bottle_ml: BottleSize = 50
    store_id: str | None = Field(default=None, max_length=64)
    out_of_stock: list[str] = Field(default_factory=list, max_length=2000)
    max_modules: int | None = Field(default=None, ge=1, le=8)
    user_id: str | None = Field(default=None, max_length=64)

    @field_validator("user_id")
    @classmethod
    def _pseudonym(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_user_id(value):
            raise ValueError(USER_ID_RULE)
        return value

    @model_validator(mode="after")
    def _scores_in_range(self) -> FormulationNeeds:
        for concern, value in (self.scores or {}).items():
            if not 0 <= value <= 100:
                raise ValueError(f"score for {concern} is {value}; scores are 0-100")
        if self.scores is None and self.analysis_id is None and not self.focus:
            raise ValueError("give skin scores, an analysis_id, or at least one focus benefit")
        return self


def benefit_weights(needs: FormulationNeeds) -> dict[Benefit, float]:
    """How much the person needs each benefit, 0-1.5 (focus benefits are boosted).

    Concern scores map linearly (score / 100); dryness comes from the skin type (0.3 when
    unknown) and sensitivity from the sensitive flag (0.1 when not sensitive).
    """
    weights: dict[Benefit, float] = {c: 0.0 for c in CONCERNS}
    for concern, score in (needs.scores or {}).items():
        weights[concern] = score / 100
    weights["dryness"] = DRYNESS_NEED[needs.skin_type] if needs.skin_type else 0.3
    weights["sensitivity"] = SENSITIVITY_NEED[bool(needs.sensitive)]
    for benefit in needs.focus:
        weights[benefit] = max(weights.get(benefit, 0.0), 0.5) * FOCUS_BOOST
    return weights
