"""API keys: one per client, each with a role, stored only as a SHA-256 hash.

A key reads ``skl_<key id>_<secret>``. The key id (12 hex digits) is public: it names the key in
``skinlab keys list`` and in logs, and finds its row without scanning. The secret is 192 random
bits, so the stored hash is a plain SHA-256 rather than scrypt (as for the store keys people
type): a slow hash protects guessable secrets, and no one can guess 2**192 of them, while every
API request would pay its cost. Revoking a key sets ``revoked_at``; the row stays for the record.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from skinlab.db import Base, UTCDateTime, utcnow
from skinlab.roles import Role
from skinlab.store_keys import is_valid_store_id

KEY_PREFIX = "skl"
_KEY = re.compile(rf"^{KEY_PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{32}})$")
LABEL_MAX_LENGTH = 200
__all__ = [
    "ApiKeyRecord",
    "IssuedKey",
    "Role",
    "create_api_key",
    "find_active_key",
    "hash_api_key",
    "list_api_keys",
    "parse_key_id",
    "revoke_api_key",
]


class ApiKeyRecord(Base):
    """One client key: its public id, the hash of the whole key, and whom it belongs to."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "role IN ('miniprogram', 'store', 'data_scientist', 'admin')", name="known_role"
        ),
        CheckConstraint(
            "(role = 'store') = (store_id IS NOT NULL)", name="store_id_iff_store_role"
        ),
    )

    key_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the whole key, hex")
    role: Mapped[str] = mapped_column(String(20))
    store_id: Mapped[str | None] = mapped_column(String(64), default=None)
    label: Mapped[str] = mapped_column(String(LABEL_MAX_LENGTH), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


@dataclass(frozen=True)
class IssuedKey:
    """A key just created: ``key`` is shown once and never stored."""

    key_id: str
    key: str
    role: Role
    store_id: str | None


def hash_api_key(key: str) -> str:
    """The stored form of ``key``: its SHA-256, hex (see the module docstring for why)."""
    return hashlib.sha256(key.encode()).hexdigest()


def parse_key_id(key: str) -> str | None:
    """The key id inside ``key``, or None if ``key`` is not shaped like a skinlab key."""
    match = _KEY.fullmatch(key)
    return match.group(1) if match else None


def create_api_key(
    session: Session, role: Role | str, *, store_id: str | None = None, label: str = ""
) -> IssuedKey:
    """Create a key for ``role`` (and ``store_id`` for a store), store its hash, return it once.

    Parameters
    ----------
    session : Session
        Where to add the key; the caller commits.
    role : Role or str
        One of ``Role``'s values.
    store_id : str, optional
        Required for ``store`` keys, refused for the others.
    label : str
        Who holds the key, for people reading ``skinlab keys list``.

    Raises
    ------
    ValueError
        If the role is unknown, or ``store_id`` is missing, invalid or not wanted.
    """
    try:
        role = Role(role)
    except ValueError:
        raise ValueError(f"role must be one of {', '.join(Role)}") from None
    if role is Role.STORE and store_id is None:
        raise ValueError("a store key needs a store id")
    if role is not Role.STORE and store_id is not None:
        raise ValueError("only store keys belong to a store")
    if store_id is not None and not is_valid_store_id(store_id):
        raise ValueError("store_id must be 1-64 letters, digits or _ . : -")
    if len(label) > LABEL_MAX_LENGTH:
        raise ValueError(f"label must be at most {LABEL_MAX_LENGTH} characters")
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(24)}"
    session.add(
        ApiKeyRecord(
            key_id=key_id, key_hash=hash_api_key(key), role=role, store_id=store_id, label=label
        )
    )
    return IssuedKey(key_id=key_id, key=key, role=role, store_id=store_id)


def find_active_key(session: Session, key: str) -> ApiKeyRecord | None:
    """The record of ``key`` if it exists and is not revoked (constant-time hash comparison)."""
    key_id = parse_key_id(key)
    if key_id is None:
        return None
    record = session.get(ApiKeyRecord, key_id)
    if record is None or record.revoked_at is not None:
        return None
    return record if hmac.compare_digest(hash_api_key(key), record.key_hash) else None


def revoke_api_key(session: Session, key_id: str) -> ApiKeyRecord | None:
    """Revoke ``key_id`` (the caller commits); None if no key has that id.

    A key revoked before keeps its first ``revoked_at``.
    """
    record = session.get(ApiKeyRecord, key_id)
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()
    return record


def list_api_keys(session: Session, *, include_revoked: bool = True) -> list[ApiKeyRecord]:
    """Every key, oldest first (hashes included; callers show only the other columns)."""
    query = select(ApiKeyRecord).order_by(ApiKeyRecord.created_at, ApiKeyRecord.key_id)
    if not include_revoked:
        query = query.where(ApiKeyRecord.revoked_at.is_(None))
    return list(session.scalars(query))
