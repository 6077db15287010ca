"""``GET /users/{id}/profile``: a customer's card propensity, value score, segments and history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from data.as_of import brand_time
from data.contacts import recent_contact_window, user_contacts
from data.records import USER_ID_RULE
from models.ranked_users import history_summary, user_record
from serving.auth import RankPrincipalDep
from serving.deps import RankingStateDep, SessionDep
from serving.errors import UserNotFound
from serving.rank_schemas import ContactPublic, UserProfile
from serving.schemas import ErrorBody, UserId

router = APIRouter(prefix="/users", tags=["propensity"])


@router.get("/{user_id}/profile", responses={404: {"model": ErrorBody}, 503: {"model": ErrorBody}})
def user_profile(
    user_id: Annotated[UserId, Path(description=USER_ID_RULE)],
    state: RankingStateDep,
    session: SessionDep,
    principal: RankPrincipalDep,
) -> UserProfile:
    """Scores, segments, reasons and a history summary as of the board's moment."""
    scored = state.require_scored()  # the board with the scorer that scored it
    board = scored.board
    if user_id not in board.frame.index:
        raise UserNotFound(
            "No events are recorded for this user.", message_zh="没有该用户的行为记录。"
        )
    row = board.row(user_id)
    principal.require_store(user_record(row, [])["store_id"])
    reasons = scored.scorer.reasons(board.features.loc[[user_id]])[0]
    holder, recent = bool(row["card_holder"]), bool(row["contacted_recently"])
    contacts = user_contacts(session, user_id, limit=5)
    since = recent_contact_window(board.cooldown_days)
    logged = any(contact.contacted_at >= since for contact in contacts)
    return UserProfile(
        **user_record(row, reasons),
        as_of=brand_time(board.as_of),
        model_version=board.model_version,
        card_holder=holder,
        contacted_recently=recent,
        contact_logged=logged,
        eligible=not (holder or recent or logged),
        contacts=[ContactPublic.model_validate(c, from_attributes=True) for c in contacts],
        history=history_summary(board, user_id),
    )
