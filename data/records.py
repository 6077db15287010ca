"""What the service stores about people: pseudonymous users, their consents and their analyses.

Nothing here identifies a person directly: ``user_id`` is a pseudonym chosen by the client (a
WeChat openid hash, a CRM key), consents carry no IP address, and analyses hold scores, not
photos. Deleting a user deletes their consents and analyses with them (``ON DELETE CASCADE``);
raw photo files, kept only when ``store_raw_images`` is on, are removed by the caller.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from skinlab.db import Base, UTCDateTime, utcnow

USER_ID_MAX_LENGTH = 64
# Letters, digits and ``_ . : -``, not starting with a dot (so it is also a safe folder name).
USER_ID_PATTERN = r"^[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,63}$"
USER_ID_RULE = (
    "user_id must be 1-64 characters of letters, digits and _ . : - (not starting with '.'), "
    "and a pseudonym, not a phone number"
)
_USER_ID = re.compile(USER_ID_PATTERN)
# Chinese mainland mobile numbers, with or without +86: never accepted as an identifier.
_PHONE_NUMBER = re.compile(r"^(\+?86[-]?)?1[3-9]\d{9}$")

PURPOSE_SKIN_ANALYSIS = "skin_analysis"
PURPOSE_KEEP_RAW_PHOTO = "keep_raw_photo"
CONSENT_VERSION_MAX_LENGTH = 32


def is_valid_user_id(value: str) -> bool:
    """Whether ``value`` is an acceptable pseudonymous user id (see ``USER_ID_RULE``)."""
    return bool(_USER_ID.fullmatch(value)) and not _PHONE_NUMBER.fullmatch(value)


def new_analysis_id() -> str:
    """A fresh analysis id: a random UUID in its 36-character text form."""
    return str(uuid.uuid4())


class UserRecord(Base):
    """A pseudonymous person who has analysed at least one photo with a ``user_id``."""

    __tablename__ = "users"

    user_id: Mapped[str] = mapped_column(String(USER_ID_MAX_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    analyses: Mapped[list[AnalysisRecord]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("user_id")
    def _check_user_id(self, _key: str, value: str) -> str:
        if not is_valid_user_id(value):
            raise ValueError(USER_ID_RULE)
        return value


class ConsentRecord(Base):
    """One grant of consent: who, for what purpose, when and through which channel."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(
        String(USER_ID_MAX_LENGTH), ForeignKey("users.user_id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32), default=PURPOSE_SKIN_ANALYSIS)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    source: Mapped[str] = mapped_column(String(32), doc="Channel, e.g. miniprogram or ba_tablet")
    consent_version: Mapped[str] = mapped_column(
        String(CONSENT_VERSION_MAX_LENGTH),
        default="unknown",  # as migration 0008 fills in for consents recorded before it
        doc="Version of the consent text the person saw",
    )
    # No foreign key: the proof of consent outlives the analysis (retention), not the user.
    analysis_id: Mapped[str | None] = mapped_column(String(36), nullable=True)

    user: Mapped[UserRecord] = relationship(back_populates="consents")


class AnalysisRecord(Base):
    """One stored skin test: the scores (no overlays) and the model versions behind them."""

    __tablename__ = "analyses"
    __table_args__ = (Index("ix_analyses_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_analysis_id)
    user_id: Mapped[str | None] = mapped_column(
        String(USER_ID_MAX_LENGTH), ForeignKey("users.user_id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    model_version: Mapped[str] = mapped_column(String(128))
    versions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    raw_image_path: Mapped[str | None] = mapped_column(
        String(512), nullable=True, doc="Relative to data_dir; NULL unless raw photos are kept"
    )

    user: Mapped[UserRecord | None] = relationship(back_populates="analyses")


@dataclass(frozen=True)
class Erasure:
    """What a deletion removed from the database, and the photo files the caller must remove."""

    users: int = 0
    consents: int = 0
    analyses: int = 0
    raw_image_paths: list[str] = field(default_factory=list)


def ensure_user(session: Session, user_id: str) -> UserRecord:
    """The user row for ``user_id``, created (not yet committed) if it is new."""
    user = session.get(UserRecord, user_id)
    if user is None:
        user = UserRecord(user_id=user_id, created_at=utcnow())
        session.add(user)
    return user


def user_analyses(
    session: Session, user_id: str, *, limit: int, offset: int = 0
) -> list[AnalysisRecord]:
    """A page of one user's analyses, newest first."""
    query = (
        select(AnalysisRecord)
        .where(AnalysisRecord.user_id == user_id)
        .order_by(AnalysisRecord.created_at.desc(), AnalysisRecord.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def count_user_analyses(session: Session, user_id: str) -> int:
    """How many analyses ``user_id`` has."""
    query = select(func.count()).select_from(AnalysisRecord)
    return session.scalar(query.where(AnalysisRecord.user_id == user_id)) or 0


def user_consents(session: Session, user_id: str) -> list[ConsentRecord]:
    """Every consent ``user_id`` gave, oldest first."""
    query = select(ConsentRecord).where(ConsentRecord.user_id == user_id)
    return list(session.scalars(query.order_by(ConsentRecord.granted_at, ConsentRecord.id)))


def erase_user(session: Session, user_id: str) -> Erasure | None:
    """Delete a user with their consents and analyses (uncommitted); None if unknown."""
    user = session.get(UserRecord, user_id)
    if user is None:
        return None
    consents = session.scalar(
        select(func.count()).select_from(ConsentRecord).where(ConsentRecord.user_id == user_id)
    )
    rows = session.execute(
        select(AnalysisRecord.id, AnalysisRecord.raw_image_path).where(
            AnalysisRecord.user_id == user_id
        )
    ).all()
    session.delete(user)  # the database cascades to consents and analyses
    return Erasure(
        users=1,
        consents=consents or 0,
        analyses=len(rows),
        raw_image_paths=[path for _id, path in rows if path],
    )


def erase_analysis(session: Session, analysis_id: str) -> Erasure | None:
    """Delete one analysis (uncommitted); None if unknown."""
    record = session.get(AnalysisRecord, analysis_id)
    if record is None:
        return None
    paths = [record.raw_image_path] if record.raw_image_path else []
    session.delete(record)
    return Erasure(analyses=1, raw_image_paths=paths)
