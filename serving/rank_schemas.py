"""Bodies of ``POST /rank`` and ``GET /users/{id}/profile``.

Users are rendered by :mod:`models.ranked_users`, which ``skinlab rank`` uses too, so both say
the same thing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from data.as_of import brand_time
from data.contacts import NOTE_MAX_LENGTH, ContactChannel, ContactOutcome
from models.ranked_users import ranked_records
from models.ranking import Ranking, UserBoard
from models.segments import SEGMENTS
from skinlab.store_keys import STORE_ID_PATTERN


def _known_segment(code: str) -> str:
    if code not in SEGMENTS:
        raise ValueError(f"unknown segment {code!r}; one of: {', '.join(SEGMENTS)}")
    return code


SegmentCode = Annotated[str, AfterValidator(_known_segment)]


class RankRequest(BaseModel):
    """Who to rank: the best ``top_k`` candidates, optionally in one segment, store or city."""

    top_k: int = Field(default=50, ge=1, le=1000, description="How many users to return")
    segment: SegmentCode | None = Field(
        default=None, description="A segment code, e.g. koc_content"
    )
    store_id: str | None = Field(
        default=None, pattern=STORE_ID_PATTERN, description="Users whose home store is this one"
    )
    city: str | None = Field(default=None, min_length=1, max_length=64)
    reasons: int = Field(default=3, ge=0, le=10, description="Reasons per user")


class Reason(BaseModel):
    """One factor raising the score: the model's input, its value and its effect in log-odds."""

    feature: str
    en: str
    zh: str
    value: float
    log_odds: float


class ValueScore(BaseModel):
    """The five value dimensions, 0-100 (percentile-based, see docs/value_and_segments.md)."""

    speech: float
    fission: float
    consumption: float
    participation: float
    content: float
    total: float


class SegmentLabel(BaseModel):
    code: str
    zh: str
    en: str


class ScoredUser(BaseModel):
    """A user on the board: calibrated probability, value score, segments and reasons."""

    user_id: str
    probability: float = Field(description="Calibrated probability of buying a card in the horizon")
    value: ValueScore
    segments: list[SegmentLabel]
    reasons: list[Reason]
    city: str | None
    store_id: str | None = Field(description="Home store: the most visited one")
    last_touch_at: datetime | None = Field(description="Last EBA touch before as_of")


class RankedUser(ScoredUser):
    rank: int


class Exclusions(BaseModel):
    """How many users each rule left out (a user counts under the first rule that applies)."""

    card_holder: int = Field(description="Current monthly-card holders: never targeted")
    contacted_recently: int = Field(description="Touched by an EBA within cooldown_days")
    contact_logged: int = Field(description="Contacted through skinlab within cooldown_days")
    outside_filter: int = Field(description="Not in the requested segment, store or city")
    cooldown_days: int


class RankResponse(BaseModel):
    as_of: datetime = Field(
        description="The moment scored, China Standard Time: events before it count"
    )
    events_source: Literal["simulated", "ingested"] = Field(
        description="simulated: the demo brand of the simulator, not real customers"
    )
    model_version: str
    horizon_days: int = Field(description="The probability is of a card within this many days")
    candidates: int = Field(description="Users eligible and within the filter")
    excluded: Exclusions
    users: list[RankedUser]


class ContactCreate(BaseModel):
    """A card offer made to the user: how, with what outcome, from which store."""

    channel: ContactChannel
    outcome: ContactOutcome
    store_id: str | None = Field(default=None, pattern=STORE_ID_PATTERN)
    note: str | None = Field(
        default=None, max_length=NOTE_MAX_LENGTH, description="No names or phone numbers"
    )


class ContactPublic(ContactCreate):
    id: int
    user_id: str
    contacted_at: datetime


class ContactList(BaseModel):
    user_id: str
    data: list[ContactPublic]


class UserProfile(ScoredUser):
    """A user's scores, segments and what they did, whether or not they may be contacted."""

    as_of: datetime
    model_version: str
    card_holder: bool
    contacted_recently: bool = Field(description="An EBA touch in the events within cooldown")
    contact_logged: bool = Field(description="A contact logged through skinlab within cooldown")
    eligible: bool = Field(description="May be approached about a card now")
    contacts: list[ContactPublic] = Field(description="Latest contacts logged through skinlab")
    history: dict[str, Any]


def rank_response(
    board: UserBoard,
    ranking: Ranking,
    reasons: list[list[dict[str, Any]]],
    *,
    horizon_days: int,
    events_source: Literal["simulated", "ingested"],
) -> RankResponse:
    """The response for one ranking (users rendered by :func:`models.ranked_users`)."""
    return RankResponse(
        as_of=brand_time(board.as_of),
        events_source=events_source,
        model_version=board.model_version,
        horizon_days=horizon_days,
        candidates=ranking.candidates,
        excluded=Exclusions(**ranking.excluded, cooldown_days=board.cooldown_days),
        users=[RankedUser(**record) for record in ranked_records(ranking, reasons)],
    )
