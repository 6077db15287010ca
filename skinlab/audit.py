"""The audit trail: issued SKUs, model promotions, API keys and erasures, append-only.

Every event is one ``audit_events`` row: when, who (``key:<key id>``, a BA sign-in
``ba:<store>:<id>``, ``cli:<login>``), what (``AuditAction``), about what (a SKU code, a
``model@version``, a key id) and details (versions, reasons). The log is append-only in the
database itself: migration 0007 adds triggers that abort any UPDATE or DELETE (and TRUNCATE on
PostgreSQL). Each row also stores ``row_hash = sha256(prev_hash + canonical row)``, so an edit
made by someone who can drop the triggers still breaks the chain ``verify_chain`` walks.

Nothing that identifies a person goes in: the log outlives every erasure. Issued SKUs name no
user; an erasure stores only ``erasure_subject(user_id)``, a keyed hash that lets an operator
who is given an id confirm it was erased, while the log alone names no one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Integer, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from skinlab.db import Base, UTCDateTime, utcnow
from skinlab.settings import Settings

GENESIS_HASH = "0" * 64
ACTOR_MAX_LENGTH = 200
SUBJECT_MAX_LENGTH = 200


class AuditAction(StrEnum):
    """What an audit row records."""

    SKU_ISSUED = "sku_issued"
    MODEL_PROMOTED = "model_promoted"
    MODEL_ROLLED_BACK = "model_rolled_back"
    KEY_CREATED = "key_created"
    KEY_REVOKED = "key_revoked"
    USER_ERASED = "user_erased"
    # Written before the registry alias moves; the matching promoted/rolled_back row after.
    MODEL_PROMOTION_STARTED = "model_promotion_started"
    MODEL_ROLLBACK_STARTED = "model_rollback_started"
    PHOTOS_EXPORTED = "photos_exported"
    PHOTO_KEY_ROTATED = "photo_key_rotated"
    RETENTION_PURGED = "retention_purged"


class AuditEvent(Base):
    """One audit row; never updated or deleted (the database refuses)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(ACTOR_MAX_LENGTH))
    action: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str | None] = mapped_column(String(SUBJECT_MAX_LENGTH), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    # unique: two writers that read the same last row cannot both extend the chain.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    row_hash: Mapped[str] = mapped_column(String(64))


def canonical_row(
    *, at: datetime, actor: str, action: str, subject: str | None, details: Mapping[str, Any]
) -> str:
    """The text a row's hash covers: its fields as sorted, compact JSON (UTC, microseconds)."""
    return json.dumps(
        {
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "subject": subject,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, canonical: str) -> str:
    """``sha256(prev_hash + canonical)``, hex."""
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _last_hash(session: Session) -> str:
    if session.get_bind().dialect.name == "postgresql":
        # Serialises writers, so the chain never forks (SQLite already has one writer at a time).
        session.execute(text("LOCK TABLE audit_events IN SHARE ROW EXCLUSIVE MODE"))
    last = session.scalar(select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS_HASH


def record_audit(
    session: Session,
    action: AuditAction | str,
    *,
    actor: str,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Add (uncommitted) one event chained to the last one; commit it with what it records.

    Parameters
    ----------
    session : Session
        The session that writes the change being audited, so both commit or neither does.
    action : AuditAction or str
        One of ``AuditAction``'s values.
    actor : str
        Who: ``key:<key id>``, ``ba:<store>:<sign-in>`` or ``cli:<login>``.
    subject : str, optional
        What the event is about (never a person's id; see the module docstring).
    details : mapping, optional
        JSON-serialisable facts: versions, reasons, counts.
    """
    action = AuditAction(action)
    at = utcnow()
    body = json.loads(json.dumps(dict(details or {}), default=str))  # what the JSON column reads
    actor, subject = actor[:ACTOR_MAX_LENGTH], subject[:SUBJECT_MAX_LENGTH] if subject else None
    prev_hash = _last_hash(session)
    canonical = canonical_row(at=at, actor=actor, action=action, subject=subject, details=body)
    event = AuditEvent(
        at=at,
        actor=actor,
        action=str(action),
        subject=subject,
        details=body,
        prev_hash=prev_hash,
        row_hash=chain_hash(prev_hash, canonical),
    )
    session.add(event)
    session.flush()
    return event


@contextmanager
def audit_session(settings: Settings) -> Iterator[Session]:
    """A session on the service database (migrated first when auto-migrate is on), for
    commands outside the API: model promotion and rollback, key management."""
    from skinlab.db import make_engine, make_sessionmaker, upgrade_database

    engine = make_engine(settings.database_url)
    try:
        if settings.auto_migrate:
            upgrade_database(settings, engine=engine)
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def erasure_subject(settings: Settings, user_id: str) -> str:
    """The subject of a ``user_erased`` row: a keyed hash of the id, never the id itself.

    Keyed with the phone-id secret (domain-separated), so the log alone cannot be matched
    against a list of ids; an operator given an id can recompute it to show the erasure.
    """
    return f"erased:{_user_digest(settings, user_id)}"


def user_subject(settings: Settings, user_id: str) -> str:
    """The subject of a row about a living user (``photos_exported``): ``user:`` + the same
    keyed hash as ``erasure_subject``, so an operator can match an export to a later erasure."""
    return f"user:{_user_digest(settings, user_id)}"


def _user_digest(settings: Settings, user_id: str) -> str:
    assert settings.phone_id_secret is not None  # filled by Settings
    key = settings.phone_id_secret.get_secret_value().encode()
    return hmac.new(key, b"audit-erasure:" + user_id.encode(), hashlib.sha256).hexdigest()[:32]


def list_events(
    session: Session, *, action: AuditAction | str | None = None, limit: int | None = None
) -> list[AuditEvent]:
    """Events oldest first, optionally of one action; ``limit`` keeps the newest ones."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action is not None:
        query = query.where(AuditEvent.action == str(AuditAction(action)))
    if limit is not None:
        query = query.limit(limit)
    return list(reversed(list(session.scalars(query))))


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found: rows checked, and the first broken row (None if intact)."""

    rows: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session) -> ChainReport:
    """Recompute every row's hash in id order and check each links to the one before."""
    expected_prev = GENESIS_HASH
    rows = 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        rows += 1
        if event.prev_hash != expected_prev:
            return ChainReport(rows, event.id, "prev_hash does not match the row before")
        canonical = canonical_row(
            at=event.at,
            actor=event.actor,
            action=event.action,
            subject=event.subject,
            details=event.details,
        )
        if chain_hash(event.prev_hash, canonical) != event.row_hash:
            return ChainReport(rows, event.id, "row_hash does not match the row's contents")
        expected_prev = event.row_hash
    return ChainReport(rows)


# Each "started" row is finished by the row of the other action with the same subject.
_COMPLETIONS = {
    AuditAction.MODEL_PROMOTION_STARTED: AuditAction.MODEL_PROMOTED,
    AuditAction.MODEL_ROLLBACK_STARTED: AuditAction.MODEL_ROLLED_BACK,
}


def unfinished_model_changes(session: Session) -> list[AuditEvent]:
    """``model_*_started`` rows that no later completion row of the same subject follows.

    The registry writes the started row before it moves the ``champion`` alias and the
    completion after, so one of these means the command stopped in between: the alias may or
    may not have moved (``skinlab models history`` tells), but the attempt is on record.
    """
    actions = [str(a) for pair in _COMPLETIONS.items() for a in pair]
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
    )
    open_rows: dict[tuple[str, str | None], AuditEvent] = {}
    for event in events:
        for started, done in _COMPLETIONS.items():
            if event.action == started:
                open_rows[(str(done), event.subject)] = event
            elif event.action == done:
                open_rows.pop((str(done), event.subject), None)
    return sorted(open_rows.values(), key=lambda event: event.id)


def cli_actor() -> str:
    """The actor of a command run by hand: ``cli:<login name>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in some containers
        return "cli:unknown"


def principal_actor(key_id: str) -> str:
    """The actor of an API request: ``key:<key id>``, or the BA sign-in's ``ba:...`` as is."""
    return key_id if key_id.startswith("ba:") else f"key:{key_id}"
