"""Pydantic models for one row of each event table (the column contract is in ``specs``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from data.events.specs import ActivityKind, EbaTouch, OrderChannel, SourceChannel, StoreService
from data.records import USER_ID_RULE, is_valid_user_id


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _pseudonym(value: str) -> str:
    if not is_valid_user_id(value):
        raise ValueError(USER_ID_RULE)
    return value


UserId = Annotated[str, AfterValidator(_pseudonym)]


class UserRow(_Row):
    user_id: UserId
    joined_at: datetime
    city: str | None = None
    source_channel: SourceChannel | None = None


class OrderRow(_Row):
    order_id: str | None = None
    user_id: UserId
    ordered_at: datetime
    amount: float = Field(ge=0, le=1_000_000)
    channel: OrderChannel | None = None
    items: int | None = Field(None, ge=1)
    sku: str | None = None
    store_id: str | None = None


class StoreVisitRow(_Row):
    user_id: UserId
    visited_at: datetime
    store_id: str
    service: StoreService
    card_redeemed: bool = False


class SkinTestRow(_Row):
    user_id: UserId
    tested_at: datetime
    channel: Literal["miniprogram", "store"] | None = None
    redness_score: float | None = Field(None, ge=0, le=100)
    spots_score: float | None = Field(None, ge=0, le=100)
    wrinkles_score: float | None = Field(None, ge=0, le=100)
    pores_score: float | None = Field(None, ge=0, le=100)
    acne_score: float | None = Field(None, ge=0, le=100)
    oiliness_score: float | None = Field(None, ge=0, le=100)
    dark_circles_score: float | None = Field(None, ge=0, le=100)
    texture_score: float | None = Field(None, ge=0, le=100)


class CommunityActivityRow(_Row):
    user_id: UserId
    occurred_at: datetime
    kind: ActivityKind
    count: int = Field(1, ge=1)


class EnergyPointsRow(_Row):
    user_id: UserId
    occurred_at: datetime
    kind: Literal["earned", "redeemed"]
    points: int = Field(ge=0)
    tasks_completed: int = Field(0, ge=0)


class InviteRow(_Row):
    inviter_id: UserId
    invitee_id: UserId
    invited_at: datetime
    first_order_amount: float | None = Field(None, ge=0)


class ContentRow(_Row):
    user_id: UserId
    occurred_at: datetime
    action: Literal["post", "forward"]


class EbaTouchRow(_Row):
    user_id: UserId
    touched_at: datetime
    touch: EbaTouch
    outcome: Literal["reached", "not_reached"]


class CardPurchaseRow(_Row):
    user_id: UserId
    purchased_at: datetime
    kind: Literal["new", "renewal"]
    amount: float = Field(ge=0)
    months: int = Field(12, ge=1, le=36)
    store_id: str | None = None


ROW_MODELS: dict[str, type[BaseModel]] = {
    "users": UserRow,
    "orders": OrderRow,
    "store_visits": StoreVisitRow,
    "skin_tests": SkinTestRow,
    "community_activity": CommunityActivityRow,
    "energy_points": EnergyPointsRow,
    "invites": InviteRow,
    "content": ContentRow,
    "eba_touches": EbaTouchRow,
    "card_purchases": CardPurchaseRow,
}
