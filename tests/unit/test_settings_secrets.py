"""Secrets: required in production, generated (session) or public (phone ids) elsewhere."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from skinlab.settings import DEVELOPMENT_PHONE_ID_SECRET, Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_production_refuses_to_start_without_its_secrets() -> None:
    with pytest.raises(ValidationError, match="SKINLAB_SESSION_SECRET and SKINLAB_PHONE_ID"):
        _settings(environment="production")
    with pytest.raises(ValidationError, match="SKINLAB_PHONE_ID_SECRET must be set"):
        _settings(environment="production", session_secret="s" * 32)
    ready = _settings(environment="production", session_secret="s", phone_id_secret="p")
    assert ready.session_secret is not None and ready.session_secret.get_secret_value() == "s"


def test_elsewhere_the_session_secret_is_random_per_process() -> None:
    first, second = _settings(), _settings(environment="test")
    assert first.session_secret is not None and second.session_secret is not None
    assert first.session_secret.get_secret_value() != second.session_secret.get_secret_value()
    assert first.phone_id_secret is not None
    assert first.phone_id_secret.get_secret_value() == DEVELOPMENT_PHONE_ID_SECRET


def test_secrets_are_not_printed() -> None:
    settings = _settings(session_secret="hunter2")
    assert "hunter2" not in repr(settings)
