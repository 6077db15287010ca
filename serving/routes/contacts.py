"""``/users/{id}/contacts``: log a monthly-card offer so the next ranking leaves the user out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from data.contacts import log_contact, user_contacts
from data.records import USER_ID_RULE
from serving.auth import RankPrincipalDep
from serving.deps import SessionDep
from serving.rank_schemas import ContactCreate, ContactList, ContactPublic
from serving.schemas import ErrorBody, UserId

router = APIRouter(prefix="/users", tags=["propensity"])

UserIdPath = Annotated[UserId, Path(description=USER_ID_RULE)]


@router.post("/{user_id}/contacts", status_code=201, responses={422: {"model": ErrorBody}})
def create_contact(
    user_id: UserIdPath, body: ContactCreate, session: SessionDep, principal: RankPrincipalDep
) -> ContactPublic:
    """Log a contact; ``POST /rank`` leaves the user out for the cool-down from now.

    A store key logs for its own store (the default) and may not name another one.
    """
    store_id = principal.store_filter(body.store_id) if body.store_id else principal.store_id
    record = log_contact(
        session,
        user_id,
        channel=body.channel,
        outcome=body.outcome,
        store_id=store_id,
        logged_by=principal.key_id,
        note=body.note,
    )
    session.commit()
    return ContactPublic.model_validate(record, from_attributes=True)


@router.get("/{user_id}/contacts")
def list_contacts(
    user_id: UserIdPath,
    session: SessionDep,
    principal: RankPrincipalDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ContactList:
    """The user's logged contacts, newest first (a store key sees its own store's only)."""
    records = user_contacts(session, user_id, limit=limit, store_id=principal.store_filter(None))
    return ContactList(
        user_id=user_id,
        data=[ContactPublic.model_validate(r, from_attributes=True) for r in records],
    )
