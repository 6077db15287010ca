"""Consent records per purpose, and raw photos kept only with the setting AND the person's
separate consent, sealed on disk, listed, exported by an operator, erased with the user."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image, UnidentifiedImageError
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from data.records import AnalysisRecord
from skinlab.audit import AuditEvent, erasure_subject, user_subject, verify_chain
from skinlab.cli import app
from skinlab.settings import Settings, get_settings

PHOTO_KEY = base64.b64encode(b"\x11" * 32).decode()
OTHER_KEY = base64.b64encode(b"\x22" * 32).decode()


@pytest.fixture
def keeping(api: Callable[..., TestClient]) -> TestClient:
    return api(store_raw_images=True, photo_key=PHOTO_KEY)


def _analyse(client: TestClient, png: bytes, **fields: str) -> Any:
    response = client.post(
        "/analyze",
        data={"consent": "true", **fields},
        files={"image": ("p.png", png, "image/png")},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _raw_path(client: TestClient, analysis_id: str) -> str | None:
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        return session.get(AnalysisRecord, analysis_id).raw_image_path  # type: ignore[no-any-return]


def _data_dir(client: TestClient) -> Path:
    return client.app.state.settings.data_dir  # type: ignore[attr-defined,no-any-return]


def test_each_analysis_records_its_consents(
    client: TestClient, png_factory: Callable[..., bytes]
) -> None:
    first = _analyse(client, png_factory(), user_id="wx_1", channel="miniprogram")
    second = _analyse(client, png_factory(), user_id="wx_1", consent_version="zh-2026-12")
    consents = client.get("/users/wx_1/consents")
    assert consents.status_code == 200
    body = consents.json()
    assert body["user_id"] == "wx_1"
    assert [
        (c["purpose"], c["source"], c["consent_version"], c["analysis_id"]) for c in body["data"]
    ] == [
        ("skin_analysis", "miniprogram", "2026-11", first["analysis_id"]),
        ("skin_analysis", "api", "zh-2026-12", second["analysis_id"]),
    ]
    assert body["data"][0]["granted_at"] == first["created_at"]
    assert client.get("/users/wx_unknown/consents").json()["error"]["code"] == "USER_NOT_FOUND"


def test_a_bad_consent_version_is_a_validation_error(
    client: TestClient, png_factory: Callable[..., bytes]
) -> None:
    response = client.post(
        "/analyze",
        data={"consent": "true", "user_id": "wx_1", "consent_version": "v1; drop table"},
        files={"image": ("p.png", png_factory(), "image/png")},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["message_zh"]


@pytest.mark.parametrize(
    ("settings", "fields", "kept"),
    [
        ({}, {"user_id": "wx_1", "consent_keep_photo": "true"}, False),  # setting off
        ({"store_raw_images": True}, {"user_id": "wx_1"}, False),  # no consent to keep
        ({"store_raw_images": True}, {"user_id": "wx_1", "consent_keep_photo": "no"}, False),
        ({"store_raw_images": True}, {"consent_keep_photo": "true"}, False),  # no user
        (
            {"store_raw_images": True, "retention_raw_photos_days": 0},
            {"user_id": "wx_1", "consent_keep_photo": "true"},
            False,
        ),
        ({"store_raw_images": True}, {"user_id": "wx_1", "consent_keep_photo": "true"}, True),
    ],
    ids=["setting-off", "no-consent", "consent-no", "anonymous", "retention-0", "kept"],
)
def test_a_photo_is_kept_only_with_setting_consent_and_user(
    api: Callable[..., TestClient],
    png_factory: Callable[..., bytes],
    settings: dict[str, Any],
    fields: dict[str, str],
    kept: bool,
) -> None:
    client = api(photo_key=PHOTO_KEY, **settings)
    body = _analyse(client, png_factory(), **fields)
    raw_dir = _data_dir(client) / "raw"
    assert (_raw_path(client, body["analysis_id"]) is not None) is kept
    assert raw_dir.exists() is kept
    if "user_id" in fields:
        purposes = [c["purpose"] for c in client.get("/users/wx_1/consents").json()["data"]]
        assert purposes == ["skin_analysis", "keep_raw_photo"] if kept else ["skin_analysis"]


def test_the_kept_photo_is_sealed_and_exports_back(
    keeping: TestClient,
    png_factory: Callable[..., bytes],
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    body = _analyse(keeping, png_factory((180, 140, 120)), user_id="wx_1", consent_keep_photo="1")
    relative = _raw_path(keeping, body["analysis_id"])
    assert relative == f"raw/wx_1/{body['analysis_id']}.jpg.enc"
    on_disk = (_data_dir(keeping) / relative).read_bytes()
    with pytest.raises(UnidentifiedImageError):
        Image.open(io.BytesIO(on_disk))

    _point_cli_at(keeping, monkeypatch, photo_key=PHOTO_KEY)
    out = tmp_path / "export"
    result = CliRunner().invoke(app, ["photos", "export", "wx_1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = out / f"{body['analysis_id']}.jpg"
    assert exported.stat().st_mode & 0o777 == 0o600
    with Image.open(exported) as image:
        assert image.format == "JPEG" and image.size == (96, 96)
        assert image.getpixel((40, 40)) == pytest.approx((180, 140, 120), abs=3)
    settings = keeping.app.state.settings  # type: ignore[attr-defined]
    with keeping.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None and verify_chain(session).ok
    assert (event.action, event.subject) == ("photos_exported", user_subject(settings, "wx_1"))
    assert event.details == {"photos": 1} and "wx_1" not in str(event.details)

    # with the wrong key the export fails, says so in both languages, and writes nothing
    _point_cli_at(keeping, monkeypatch, photo_key=OTHER_KEY)
    refused = CliRunner().invoke(app, ["photos", "export", "wx_1", "--out", str(tmp_path / "x")])
    assert refused.exit_code == 1
    assert "PHOTO_KEY_UNKNOWN" in refused.output and "密钥" in refused.output
    assert not (tmp_path / "x").exists()


def test_rotate_key_reseals_every_photo(
    keeping: TestClient,
    png_factory: Callable[..., bytes],
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    body = _analyse(keeping, png_factory(), user_id="wx_1", consent_keep_photo="true")
    _point_cli_at(keeping, monkeypatch, photo_key=OTHER_KEY)
    assert CliRunner().invoke(app, ["photos", "rotate-key"]).exit_code == 1  # old key unknown
    monkeypatch.setenv("SKINLAB_PHOTO_OLD_KEYS", PHOTO_KEY)
    get_settings.cache_clear()
    rotated = CliRunner().invoke(app, ["photos", "rotate-key", "--json"])
    assert rotated.exit_code == 0, rotated.output
    assert '"resealed": 1' in rotated.output
    monkeypatch.delenv("SKINLAB_PHOTO_OLD_KEYS")  # the old key can go now
    get_settings.cache_clear()
    out = tmp_path / "export"
    exported = CliRunner().invoke(app, ["photos", "export", "wx_1", "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert (out / f"{body['analysis_id']}.jpg").read_bytes()[:2] == b"\xff\xd8"


def test_erasure_deletes_sealed_photos_and_keeps_proof_of_consent(
    keeping: TestClient, png_factory: Callable[..., bytes]
) -> None:
    _analyse(keeping, png_factory(), user_id="wx_1", consent_keep_photo="true")
    _analyse(keeping, png_factory(), user_id="wx_1")
    user_dir = _data_dir(keeping) / "raw" / "wx_1"
    assert len(list(user_dir.iterdir())) == 1
    erased = keeping.delete("/users/wx_1").json()
    assert (erased["consents"], erased["analyses"], erased["raw_images"]) == (3, 2, 1)
    assert not user_dir.exists()
    assert keeping.get("/users/wx_1/consents").status_code == 404
    settings = keeping.app.state.settings  # type: ignore[attr-defined]
    with keeping.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user_erased")).one()
    assert event.subject == erasure_subject(settings, "wx_1")
    proof = event.details["consent_proof"]
    assert [(p["purpose"], p["consent_version"], p["times"]) for p in proof] == [
        ("keep_raw_photo", "2026-11", 1),
        ("skin_analysis", "2026-11", 2),
    ]
    assert "wx_1" not in str(event.details)


def test_keeping_photos_without_a_key_refuses_to_start(
    settings_factory: Callable[..., Settings],
) -> None:
    with pytest.raises(ValidationError) as caught:
        settings_factory(store_raw_images=True)
    text = str(caught.value)
    assert "SKINLAB_PHOTO_KEY must be set" in text and "必须设置 SKINLAB_PHOTO_KEY" in text
    with pytest.raises(ValidationError, match="32 random bytes") as bad:
        settings_factory(store_raw_images=True, photo_key="c2hvcnQ=")
    assert "c2hvcnQ" not in str(bad.value)  # the key is never echoed
    development = settings_factory(environment="development", store_raw_images=True)
    assert development.photo_key is not None  # the public development key


def _point_cli_at(client: TestClient, monkeypatch: pytest.MonkeyPatch, *, photo_key: str) -> None:
    """Make ``skinlab`` commands use the app's data folder and database, and this key."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setenv("SKINLAB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SKINLAB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SKINLAB_ENVIRONMENT", "test")
    monkeypatch.setenv("SKINLAB_PHOTO_KEY", photo_key)
    get_settings.cache_clear()
