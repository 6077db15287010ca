"""Store keys are random, stored only as salted scrypt hashes, and checked in constant time."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.orm import Session

from skinlab.db import make_engine, make_sessionmaker, upgrade_database
from skinlab.settings import Settings
from skinlab.store_keys import (
    StoreKeyRecord,
    add_store_key,
    hash_store_key,
    key_matches,
    verify_store_key,
)


@pytest.fixture
def session(settings_factory: Callable[..., Settings]) -> Iterator[Session]:
    settings = settings_factory()
    upgrade_database(settings)
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as db:
        yield db
    engine.dispose()


def test_a_key_matches_its_hash_and_nothing_else() -> None:
    stored = hash_store_key("correct horse")
    assert stored.startswith("scrypt$") and "correct horse" not in stored
    assert key_matches("correct horse", stored)
    assert not key_matches("correct hors", stored)
    assert not key_matches("", stored)


def test_the_same_key_hashes_differently_each_time() -> None:
    assert hash_store_key("k") != hash_store_key("k")


@pytest.mark.parametrize("stored", ["", "plain", "md5$1$2$3$aa$bb", "scrypt$x$8$1$zz$00"])
def test_a_malformed_stored_hash_never_matches(stored: str) -> None:
    assert not key_matches("k", stored)


def test_keys_are_per_store_and_stored_hashed(session: Session) -> None:
    first = add_store_key(session, "sh-01")
    second = add_store_key(session, "sh-01")
    other = add_store_key(session, "bj-02")
    session.commit()
    assert len({first, second, other}) == 3 and len(first) >= 20
    assert verify_store_key(session, "sh-01", first)
    assert verify_store_key(session, "sh-01", second)
    assert not verify_store_key(session, "sh-01", other)
    assert not verify_store_key(session, "sh-01", "")
    assert not verify_store_key(session, "nowhere", first)
    hashes = [record.key_hash for record in session.query(StoreKeyRecord)]
    assert all(key not in stored for key in (first, second, other) for stored in hashes)


@pytest.mark.parametrize("store_id", ["", "has space", "x" * 65, "a/b"])
def test_a_bad_store_id_gets_no_key(session: Session, store_id: str) -> None:
    with pytest.raises(ValueError, match="store_id"):
        add_store_key(session, store_id)
    assert not verify_store_key(session, store_id, "anything")
