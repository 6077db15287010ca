"""Users: a person's analysis history, and erasing everything stored about them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from data.contacts import forget_user_contacts
from data.raw_photos import delete_raw_photos, purge_user_photos
from data.records import (
    USER_ID_RULE,
    Erasure,
    UserRecord,
    count_user_analyses,
    erase_user,
    user_analyses,
)
from formulations.registry import forget_user_needs
from serving.auth import Principal, require_area
from serving.deps import SessionDep, SettingsDep
from serving.errors import UserNotFound
from serving.schemas import AnalysisList, ErrorBody, UserDeleteResult, UserId, history_item
from skinlab.audit import AuditAction, erasure_subject, principal_actor, record_audit

router = APIRouter(prefix="/users", tags=["users"], dependencies=[Depends(require_area("users"))])

UsersPrincipalDep = Annotated[Principal, Depends(require_area("users"))]
UserIdPath = Annotated[UserId, Path(description=USER_ID_RULE)]


@router.get("/{user_id}/analyses", responses={404: {"model": ErrorBody}})
def list_user_analyses(
    user_id: UserIdPath,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AnalysisList:
    """A user's analyses, newest first, each with score changes since the one before it."""
    if session.get(UserRecord, user_id) is None:
        raise UserNotFound()
    # One extra row so the oldest analysis on this page can be compared too.
    records = user_analyses(session, user_id, limit=limit + 1, offset=offset)
    page = records[:limit]
    previous = [*records[1 : limit + 1], None][: len(page)]
    return AnalysisList(
        user_id=user_id,
        count=count_user_analyses(session, user_id),
        data=[history_item(record, before) for record, before in zip(page, previous, strict=True)],
    )


@router.delete("/{user_id}", responses={404: {"model": ErrorBody}})
def delete_user(
    user_id: UserIdPath, session: SessionDep, settings: SettingsDep, principal: UsersPrincipalDep
) -> UserDeleteResult:
    """Erase a user: their consents, analyses and raw photos (PIPL right to deletion)."""
    # Issued SKUs stay (what was compounded is an audit record) but lose the person and their
    # skin scores: the FK sets user_id to NULL and the needs are dropped first.
    forget_user_needs(session, user_id)
    contacts = forget_user_contacts(session, user_id)
    erasure = erase_user(session, user_id) or Erasure()
    if erasure.users == 0 and contacts == 0:
        raise UserNotFound()
    counts = {"consents": erasure.consents, "analyses": erasure.analyses, "contacts": contacts}
    record_audit(  # a keyed hash of the id, never the id (skinlab/audit.py)
        session,
        AuditAction.USER_ERASED,
        actor=principal_actor(principal.key_id),
        subject=erasure_subject(settings, user_id),
        details=counts,
    )
    session.commit()
    return UserDeleteResult(
        users=erasure.users,
        consents=erasure.consents,
        analyses=erasure.analyses,
        raw_images=delete_raw_photos(settings.data_dir, erasure.raw_image_paths)
        + purge_user_photos(settings.data_dir, user_id),
        card_contacts=contacts,
    )
