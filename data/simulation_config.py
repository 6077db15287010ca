"""The frozen parameters of the brand simulator (``training/configs/simulation.yaml``).

Every field says what it controls; the YAML file says where each number comes from (the issue's
known facts, or a stated assumption). Rates are per day unless the name says otherwise; trait
effects are coefficients on standard-normal latent traits (log-odds or log-rate).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from data.events.specs import ACTIVITY_KINDS, EBA_TOUCHES
from data.vocabulary import CONCERNS

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "training" / "configs" / "simulation.yaml"


def _same_keys(name: str, mapping: dict[str, float], expected: tuple[str, ...]) -> None:
    if set(mapping) != set(expected):
        raise ValueError(f"{name} must name exactly {', '.join(expected)}")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PopulationParams(_Frozen):
    """Who the customers are: source channels, cities, latent traits."""

    source_channel_mix: dict[str, float] = Field(
        default_factory=lambda: {
            "miniprogram": 0.35,
            "ecommerce": 0.30,
            "store": 0.17,
            "live": 0.10,
            "invite": 0.08,
        }
    )
    store_affluence_effect: float = 0.6
    cities: dict[str, float] = Field(default_factory=lambda: {"Shanghai": 0.2, "Beijing": 0.2})
    tier1_cities: tuple[str, ...] = ("Shanghai", "Beijing", "Guangzhou", "Shenzhen")
    tier1_affluence_effect: float = 0.4
    stores_per_city: int = Field(5, ge=1)
    trait_correlation: dict[str, float] = Field(
        default_factory=lambda: {
            "engagement_affluence": 0.1,
            "engagement_sociability": 0.4,
            "affluence_sociability": 0.1,
        }
    )
    concern_mix: dict[str, float] = Field(default_factory=lambda: {str(c): 1.0 for c in CONCERNS})
    severity_beta: tuple[float, float] = (2.0, 3.0)

    @model_validator(mode="after")
    def _known_names(self) -> PopulationParams:
        unknown = set(self.concern_mix) - set(CONCERNS)
        if unknown:
            raise ValueError(f"unknown concerns {sorted(unknown)}; allowed: {CONCERNS}")
        channels = {"miniprogram", "ecommerce", "store", "live", "invite"}
        if set(self.source_channel_mix) != channels:
            raise ValueError(f"source_channel_mix must name exactly {sorted(channels)}")
        return self


class RecruitmentParams(_Frozen):
    """The four EBA touches after a first order and how they move community joining."""

    service_call_attempt: float = Field(0.9, ge=0, le=1)
    service_call_reach: float = Field(0.6, ge=0, le=1)
    logistics_message_sent: float = Field(0.95, ge=0, le=1)
    logistics_message_read: float = Field(0.7, ge=0, le=1)
    qr_scan_probability: float = Field(0.25, gt=0, lt=1)
    qr_scan_engagement_effect: float = 0.8
    day10_call_attempt: float = Field(0.8, ge=0, le=1)
    day10_call_reach: float = Field(0.5, ge=0, le=1)
    join_base_logit: float = -2.4
    store_join_bonus: float = 1.2
    join_engagement_effect: float = 0.8
    join_sociability_effect: float = 0.4
    touch_effects: dict[str, float] = Field(
        default_factory=lambda: {
            "service_call": 0.6,
            "logistics_message": 0.2,
            "qr_scan": 1.8,
            "day10_call": 0.7,
        }
    )
    join_lag_days: float = Field(4.0, gt=0)

    @model_validator(mode="after")
    def _every_touch(self) -> RecruitmentParams:
        _same_keys("touch_effects", self.touch_effects, EBA_TOUCHES)
        return self


class CommunityParams(_Frozen):
    """Staying in the WeCom community, and its weekly activity."""

    retention_12m: float = Field(0.70, gt=0, lt=1)
    retention_engagement_effect: float = 0.5
    weekly_active_logit: float = 0.3
    weekly_active_engagement_effect: float = 1.0
    weekly_rates: dict[str, float] = Field(
        default_factory=lambda: {
            "message": 2.0,
            "check_in": 1.2,
            "sign_in": 2.5,
            "survey": 0.08,
            "live_session": 0.35,
        }
    )
    message_sociability_effect: float = 0.8
    activity_engagement_effect: float = 0.5
    points: dict[str, int] = Field(
        default_factory=lambda: {"sign_in": 5, "check_in": 10, "survey": 50, "live_session": 20}
    )
    redeem_threshold_points: int = Field(500, ge=1)
    redeem_logit: float = 0.0
    posts_per_week: float = Field(0.05, ge=0)
    forwards_per_week: float = Field(0.12, ge=0)
    content_sociability_effect: float = 1.2
    invite_sociability_effect: float = 1.5
    invite_member_weight: float = 6.0

    @model_validator(mode="after")
    def _known_kinds(self) -> CommunityParams:
        _same_keys("weekly_rates", self.weekly_rates, ACTIVITY_KINDS)
        if not set(self.points) <= set(ACTIVITY_KINDS):
            raise ValueError(f"points may only name {', '.join(ACTIVITY_KINDS)}")
        return self


class PurchaseParams(_Frozen):
    """Orders, store visits and skin tests."""

    repeat_rate_per_year: float = Field(1.2, gt=0)
    community_rate_multiplier: float = Field(2.4, gt=0)
    repeat_engagement_effect: float = 0.35
    repeat_severity_effect: float = 0.3
    customer_life_days: float = Field(200.0, gt=0)
    life_engagement_effect: float = 0.4
    store_order_share_logit: float = -1.8
    store_source_bonus: float = 2.5
    online_mean_rmb: float = Field(100.0, gt=0)
    store_mean_rmb: float = Field(1000.0, gt=0)
    amount_sigma: float = Field(0.5, gt=0)
    amount_affluence_effect: float = 0.25
    online_unit_rmb: float = Field(80.0, gt=0)
    store_unit_rmb: float = Field(300.0, gt=0)
    sku_matches_concern: float = Field(0.6, ge=0, le=1)
    store_visits_per_year: float = Field(2.0, ge=0)
    skin_tests_per_year: float = Field(1.0, ge=0)
    skin_test_community_multiplier: float = Field(2.0, gt=0)
    skin_test_severity_effect: float = 1.0


class CardParams(_Frozen):
    """The monthly card: who buys it, its price, renewals and the spa visits it pays for."""

    base_rate_per_year: float = Field(0.008, gt=0)
    affluence_effect: float = 1.0
    engagement_effect: float = 0.5
    sociability_effect: float = 0.5
    severity_effect: float = 0.8
    store_preference_effect: float = 1.0
    community_multiplier: float = Field(3.0, gt=0)
    price_mean_rmb: float = Field(12_000.0, gt=0)
    price_sigma: float = Field(0.2, gt=0)
    months: int = Field(12, ge=1, le=36)
    renewal_probability: float = Field(0.55, gt=0, lt=1)
    renewal_engagement_effect: float = 0.6
    renewal_affluence_effect: float = 0.4
    spa_visits_per_month: float = Field(1.5, ge=0)


class SimulationConfig(_Frozen):
    """All simulator parameters; ``seed`` and ``block_users`` fix every random draw."""

    version: int = 1
    seed: int = 20261123
    start: date = date(2024, 1, 1)
    end: date = date(2026, 1, 1)
    block_users: int = Field(100_000, ge=100)
    population: PopulationParams = PopulationParams()
    recruitment: RecruitmentParams = RecruitmentParams()
    community: CommunityParams = CommunityParams()
    purchases: PurchaseParams = PurchaseParams()
    card: CardParams = CardParams()

    @model_validator(mode="after")
    def _window(self) -> SimulationConfig:
        if (self.end - self.start).days < 60:
            raise ValueError("the simulated window must be at least 60 days")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> SimulationConfig:
        """Read a YAML config (the shipped one by default); keyword arguments override fields."""
        raw: dict[str, Any] = yaml.safe_load((path or DEFAULT_CONFIG).read_text("utf-8"))
        return cls.model_validate({**raw, **overrides})
