"""``POST /rank``: who an EBA should approach about a monthly card today, and why."""

from __future__ import annotations

from fastapi import APIRouter

from data.contacts import contacted_since, recent_contact_window
from models.ranking import RankQuery, rank_users
from serving.auth import RankPrincipalDep
from serving.deps import RankingStateDep, SessionDep
from serving.rank_schemas import RankRequest, RankResponse, rank_response
from serving.schemas import ErrorBody

router = APIRouter(tags=["propensity"])


@router.post("/rank", responses={422: {"model": ErrorBody}, 503: {"model": ErrorBody}})
def rank(
    request: RankRequest,
    state: RankingStateDep,
    session: SessionDep,
    principal: RankPrincipalDep,
) -> RankResponse:
    """Rank eligible users by card-upgrade probability; holders and recent contacts never appear."""
    scored = state.require_scored()  # one snapshot: a model swap mid-request changes nothing
    board, scorer = scored.board, scored.scorer
    since = recent_contact_window(board.cooldown_days)
    query = RankQuery(
        top_k=request.top_k,
        segment=request.segment,
        store_id=principal.store_filter(request.store_id),
        city=request.city,
    )
    ranking = rank_users(board, query, contacted_since(session, since))
    reasons = (
        scorer.reasons(board.features.loc[ranking.users.index], k=request.reasons)
        if request.reasons
        else [[] for _ in range(len(ranking.users))]
    )
    return rank_response(
        board, ranking, reasons, horizon_days=scorer.horizon_days, events_source=state.source
    )
