"""Store keys: how a spa's tablet signs in to the BA page, stored only as scrypt hashes.

A key is 128 random bits shown once by ``skinlab stores add-key STORE_ID``; the table keeps a
salted scrypt hash of it, so a copy of the database does not let anyone sign in. A store may
hold several keys (one per tablet, or an old and a new one while rotating).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from skinlab.db import Base, UTCDateTime, utcnow

STORE_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"
_STORE_ID = re.compile(STORE_ID_PATTERN)
# scrypt cost: about 16 MiB and a few tens of ms per check, so guessing is slow even offline.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SCHEME = "scrypt"


class StoreKeyRecord(Base):
    """One key of one store, as a salted hash."""

    __tablename__ = "store_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    store_id: Mapped[str] = mapped_column(String(64), index=True)
    key_hash: Mapped[str] = mapped_column(String(200), doc="scrypt$n$r$p$salt$hash, hex")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def is_valid_store_id(store_id: str) -> bool:
    """Whether ``store_id`` is 1-64 letters, digits or ``_ . : -`` (as in ``/stores/{id}``)."""
    return bool(_STORE_ID.fullmatch(store_id))


def hash_store_key(key: str, *, salt: bytes | None = None) -> str:
    """The stored form of ``key``: ``scrypt$n$r$p$salt$hash`` with a fresh 16-byte salt."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        key.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"{_SCHEME}${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def key_matches(key: str, stored: str) -> bool:
    """Whether ``key`` hashes to ``stored`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != _SCHEME:
            return False
        digest = hashlib.scrypt(
            key.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def add_store_key(session: Session, store_id: str) -> str:
    """Create a new random key for ``store_id``, store its hash, and return the key (once).

    Raises
    ------
    ValueError
        If ``store_id`` is not a valid store id.
    """
    if not is_valid_store_id(store_id):
        raise ValueError("store_id must be 1-64 letters, digits or _ . : -")
    key = secrets.token_urlsafe(16)
    session.add(StoreKeyRecord(store_id=store_id, key_hash=hash_store_key(key)))
    return key


def verify_store_key(session: Session, store_id: str, key: str) -> bool:
    """Whether ``key`` is one of ``store_id``'s keys."""
    if not is_valid_store_id(store_id) or not key:
        return False
    stored = session.scalars(
        select(StoreKeyRecord.key_hash).where(StoreKeyRecord.store_id == store_id)
    ).all()
    # Check every key, not stopping at the first match, so timing says little about which.
    return any([key_matches(key, candidate) for candidate in stored])
