"""Users: a person's analysis history and consents, and erasing everything stored about them.

Erasure deletes the consent rows with the user (they carry the user id). What proves that the
erased processing had consent is the ``user_erased`` audit row: under the keyed hash of the id,
it keeps each purpose and consent text version with the first and last time it was given, and
the erasure itself is the withdrawal. That row names no one unless an operator is given the id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from data.contacts import forget_user_contacts
from data.raw_photos import delete_raw_photos, purge_user_photos
from data.records import (
    USER_ID_RULE,
    ConsentRecord,
    Erasure,
    UserRecord,
    count_user_analyses,
    erase_user,
    user_analyses,
    user_consents,
)
from formulations.registry import forget_user_needs
from serving.auth import Principal, require_area
from serving.deps import SessionDep, SettingsDep
from serving.errors import UserNotFound
from serving.schemas import (
    AnalysisList,
    ConsentList,
    ConsentPublic,
    ErrorBody,
    UserDeleteResult,
    UserId,
    history_item,
)
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


@router.get("/{user_id}/consents", responses={404: {"model": ErrorBody}})
def list_user_consents(user_id: UserIdPath, session: SessionDep) -> ConsentList:
    """Every consent the user gave (purpose, time, channel, text version), oldest first."""
    if session.get(UserRecord, user_id) is None:
        raise UserNotFound()
    consents = user_consents(session, user_id)
    return ConsentList(
        user_id=user_id, data=[ConsentPublic.model_validate(consent) for consent in consents]
    )


@router.delete("/{user_id}", responses={404: {"model": ErrorBody}})
def delete_user(
    user_id: UserIdPath, session: SessionDep, settings: SettingsDep, principal: UsersPrincipalDep
) -> UserDeleteResult:
    """Erase a user: their consents, analyses and raw photos (PIPL right to deletion)."""
    # Issued SKUs stay (what was compounded is an audit record) but lose the person and their
    # skin scores: the FK sets user_id to NULL and the needs are dropped first.
    forget_user_needs(session, user_id)
    proof = consent_proof(user_consents(session, user_id))
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
        details={**counts, "consent_proof": proof},
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


def consent_proof(consents: list[ConsentRecord]) -> list[dict[str, object]]:
    """Per purpose and text version: how often and when first and last consent was given."""
    groups: dict[tuple[str, str], list[ConsentRecord]] = {}
    for consent in consents:
        groups.setdefault((consent.purpose, consent.consent_version), []).append(consent)
    return [
        {
            "purpose": purpose,
            "consent_version": version,
            "times": len(given),
            "first_granted_at": min(c.granted_at for c in given).isoformat(),
            "last_granted_at": max(c.granted_at for c in given).isoformat(),
        }
        for (purpose, version), given in sorted(groups.items())
    ]
