"""Card-offer contacts an EBA or BA logged through skinlab, so the next list leaves them out.

The brand's exports record EBA touches too, but only at the next export; a contact logged here
counts at once: ``POST /rank`` leaves out anyone contacted within the cool-down (measured from
now, by the server's clock). A contact names no one: the user is a pseudonym, the note is free
text the EBA is told not to fill with personal data, and ``DELETE /users/{id}`` removes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from data.records import USER_ID_MAX_LENGTH
from skinlab.db import Base, UTCDateTime, utcnow

ContactChannel = Literal["wecom", "phone", "store", "sms"]
ContactOutcome = Literal["reached", "not_reached", "declined", "interested", "bought"]
CONTACT_CHANNELS: tuple[str, ...] = get_args(ContactChannel)
CONTACT_OUTCOMES: tuple[str, ...] = get_args(ContactOutcome)
NOTE_MAX_LENGTH = 500


class CardContactRecord(Base):
    """One logged contact about the monthly card: who was contacted, when, how, by which key."""

    __tablename__ = "card_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_MAX_LENGTH), index=True)
    contacted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    store_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    logged_by: Mapped[str | None] = mapped_column(
        String(64), nullable=True, doc="The API key id or store that logged it"
    )
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX_LENGTH), nullable=True)


def log_contact(
    session: Session,
    user_id: str,
    *,
    channel: ContactChannel,
    outcome: ContactOutcome,
    store_id: str | None = None,
    logged_by: str | None = None,
    note: str | None = None,
) -> CardContactRecord:
    """Add a contact (the caller commits)."""
    record = CardContactRecord(
        user_id=user_id,
        channel=channel,
        outcome=outcome,
        store_id=store_id,
        logged_by=logged_by,
        note=note,
    )
    session.add(record)
    session.flush()
    return record


def contacted_since(session: Session, since: datetime) -> set[str]:
    """Users with a logged contact at or after ``since`` (an aware UTC datetime)."""
    rows = session.scalars(
        select(CardContactRecord.user_id).where(CardContactRecord.contacted_at >= since).distinct()
    )
    return set(rows)


def recent_contact_window(cooldown_days: int, now: datetime | None = None) -> datetime:
    """The start of the cool-down that ends now."""
    return (now or utcnow()) - timedelta(days=cooldown_days)


def user_contacts(
    session: Session, user_id: str, limit: int = 20, store_id: str | None = None
) -> list[CardContactRecord]:
    """A user's logged contacts, newest first (only one store's when ``store_id`` is given)."""
    query = select(CardContactRecord).where(CardContactRecord.user_id == user_id)
    if store_id is not None:
        query = query.where(CardContactRecord.store_id == store_id)
    query = query.order_by(
        CardContactRecord.contacted_at.desc(), CardContactRecord.id.desc()
    ).limit(limit)
    return list(session.scalars(query))


def forget_user_contacts(session: Session, user_id: str) -> int:
    """Delete a user's logged contacts (erasure); returns how many went."""
    result = session.execute(delete(CardContactRecord).where(CardContactRecord.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)
