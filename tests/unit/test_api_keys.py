"""API keys: format, hashing, create/revoke/list, the rate limiter and the settings behind them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from serving.rate_limit import KeyRateLimiter, RateLimited
from skinlab.api_keys import (
    Role,
    create_api_key,
    find_active_key,
    hash_api_key,
    list_api_keys,
    parse_key_id,
    revoke_api_key,
)
from skinlab.db import make_engine, make_sessionmaker, upgrade_database
from skinlab.settings import Settings


@pytest.fixture
def session(settings_factory: Callable[..., Settings]) -> Iterator[Session]:
    settings = settings_factory(database_url="sqlite://")
    engine = make_engine(settings.database_url)
    upgrade_database(settings, engine=engine)
    with make_sessionmaker(engine)() as db:
        yield db
    engine.dispose()


def test_a_key_names_its_id_and_is_stored_only_as_its_sha256(session: Session) -> None:
    issued = create_api_key(session, "admin", label="ops")
    session.commit()
    assert issued.key.startswith(f"skl_{issued.key_id}_") and len(issued.key) == 49
    assert parse_key_id(issued.key) == issued.key_id
    (stored,) = session.execute(text("SELECT key_hash FROM api_keys")).scalars()
    assert stored == hashlib.sha256(issued.key.encode()).hexdigest() == hash_api_key(issued.key)
    assert issued.key not in stored


def test_keys_are_unique(session: Session) -> None:
    keys = {create_api_key(session, "miniprogram").key for _ in range(20)}
    assert len(keys) == 20


def test_find_active_key_checks_the_whole_key(session: Session) -> None:
    issued = create_api_key(session, Role.STORE, store_id="sh-01")
    session.commit()
    record = find_active_key(session, issued.key)
    assert record is not None and record.role == "store" and record.store_id == "sh-01"
    forged = issued.key[:-1] + ("A" if issued.key[-1] != "A" else "B")
    for wrong in (forged, "", "skl_", issued.key + "x", issued.key.upper(), f"Bearer {issued.key}"):
        assert find_active_key(session, wrong) is None, wrong


@pytest.mark.parametrize(
    ("role", "store_id", "message"),
    [
        ("store", None, "needs a store id"),
        ("admin", "sh-01", "only store keys"),
        ("store", "not a store", "store_id must be"),
        ("root", None, "role must be one of"),
    ],
)
def test_create_refuses_inconsistent_keys(
    session: Session, role: str, store_id: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_api_key(session, role, store_id=store_id)


def test_the_database_refuses_a_store_key_without_a_store(session: Session) -> None:
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO api_keys (key_id, key_hash, role, store_id, label, created_at) "
                "VALUES ('0123456789ab', 'h', 'store', NULL, '', '2026-01-01')"
            )
        )


def test_revoke_ends_a_key_once_and_keeps_the_record(session: Session) -> None:
    issued = create_api_key(session, "data_scientist")
    session.commit()
    first = revoke_api_key(session, issued.key_id)
    session.commit()
    assert first is not None and first.revoked_at is not None
    revoked_at = first.revoked_at
    again = revoke_api_key(session, issued.key_id)
    assert again is not None and again.revoked_at == revoked_at
    assert find_active_key(session, issued.key) is None
    assert revoke_api_key(session, "000000000000") is None


def test_list_shows_revoked_keys_unless_asked_not_to(session: Session) -> None:
    kept = create_api_key(session, "admin")
    gone = create_api_key(session, "miniprogram")
    session.commit()
    revoke_api_key(session, gone.key_id)
    session.commit()
    assert {r.key_id for r in list_api_keys(session)} == {kept.key_id, gone.key_id}
    assert [r.key_id for r in list_api_keys(session, include_revoked=False)] == [kept.key_id]


def test_the_rate_limiter_counts_per_identity() -> None:
    limiter = KeyRateLimiter("2/minute")
    limiter.charge("a")
    limiter.charge("a")
    limiter.charge("b")
    with pytest.raises(RateLimited) as caught:
        limiter.charge("a")
    assert caught.value.status == 429
    assert 1 <= int(caught.value.response_headers["Retry-After"]) <= 60
    assert caught.value.details["limit"] == "2 per 1 minute"


def test_every_limit_of_a_list_applies() -> None:
    limiter = KeyRateLimiter("5/minute;1/hour")
    limiter.charge("a")
    with pytest.raises(RateLimited):
        limiter.charge("a")


def test_an_empty_rate_means_no_limit() -> None:
    limiter = KeyRateLimiter("")
    for _ in range(1000):
        limiter.charge("a")


def test_settings_refuse_a_rate_limit_that_does_not_parse(
    settings_factory: Callable[..., Settings],
) -> None:
    with pytest.raises(ValidationError, match="rate_limit"):
        settings_factory(rate_limit="lots")
    assert settings_factory(rate_limit=" 10/second ").rate_limit == "10/second"


def test_cors_origins_default_to_none(settings_factory: Callable[..., Settings]) -> None:
    assert settings_factory().cors_origins == []
    assert settings_factory(cors_origins="https://a.example, https://b.example").cors_origins == [
        "https://a.example",
        "https://b.example",
    ]
