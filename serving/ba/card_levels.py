"""Words for a monthly-card probability on the BA page: high, medium or low against the base rate.

The propensity model's probability is calibrated over a 90-day horizon, and buying a card is
rare (about 0.7% of the model's held-out customers did), so a bare "2.4%" sounds hopeless to a
BA although it is three times the average customer's chance. The panel therefore shows the
percentage, its multiple of the base rate, and a word:

* 高 / high: at least :data:`HIGH_LIFT` (3) times the base rate;
* 中 / medium: at least the base rate (as likely as the average customer or more);
* 低 / low: below the base rate.

With the shipped model (base rate 0.7%, so high from 2.1%), a 20,000-customer simulated brand
at 2026-01-01 has 7.6% of its non-holders high and 23% high or medium: "high" is a short list
a store can act on, "medium" the customers still worth a word.

The base rate is the held-out set's share of buyers recorded in the model's manifest, so the
words follow a retrained model. The page classifies in the browser with the cut-offs computed
here (one place for the numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from serving.ranking_state import RankingState
from skinlab.errors import SkinlabError

HIGH_LIFT = 3.0
MEDIUM_LIFT = 1.0

CardLevel = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class CardCutoffs:
    """The base rate and the probabilities at which the words change."""

    base_rate: float
    medium: float
    high: float

    def level(self, probability: float) -> CardLevel:
        """The word for ``probability`` (the page does the same in ``card.js``)."""
        if probability >= self.high:
            return "high"
        return "medium" if probability >= self.medium else "low"

    def as_json(self) -> dict[str, float]:
        return asdict(self)


def _positive_fraction(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and 0 < value < 1 else None


def base_rate(manifest: Mapping[str, Any]) -> float | None:
    """The held-out buyers' share from a propensity manifest (``None`` if it records none)."""
    metrics = manifest.get("metrics", {}).get("lightgbm", {})
    held_out = manifest.get("data", {}).get("test", {})
    for candidate in (metrics.get("base_rate"), held_out.get("base_rate")):
        rate = _positive_fraction(candidate)
        if rate is not None:
            return rate
    return None


def card_cutoffs(manifest: Mapping[str, Any]) -> CardCutoffs | None:
    """The cut-offs for a model, or ``None`` when its manifest has no base rate."""
    rate = base_rate(manifest)
    if rate is None:
        return None
    return CardCutoffs(base_rate=rate, medium=MEDIUM_LIFT * rate, high=HIGH_LIFT * rate)


def cutoffs_for(state: RankingState) -> CardCutoffs | None:
    """The serving model's cut-offs; ``None`` (percentages without words) if it cannot load."""
    try:
        return card_cutoffs(state.scorer().manifest)
    except SkinlabError:
        return None
