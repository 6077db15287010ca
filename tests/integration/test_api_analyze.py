"""``POST /analyze`` as the mini-program (multipart) and API clients (JSON) call it."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from data.records import AnalysisRecord, ConsentRecord, UserRecord
from serving.deps import get_analyzer
from serving.errors import InternalError
from serving.logging import JsonFormatter

Post = Callable[..., Any]


@pytest.fixture
def photo(png_factory: Callable[..., bytes]) -> bytes:
    return png_factory((180, 140, 120))


def _upload(client: TestClient, image: bytes | None, **fields: str) -> Any:
    """POST the way wx.uploadFile does: the file part plus every formData key as a string."""
    if image is None:  # still multipart, with the text fields only
        return client.post("/analyze", files={k: (None, v) for k, v in fields.items()})
    files = {"image": ("tmp_1a2b.jpg", image, "application/octet-stream")}
    return client.post("/analyze", data=fields, files=files)


def _count(client: TestClient, model: type[Any]) -> int:
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(model)))


def _noisy_png(side: int) -> bytes:
    """A PNG that barely compresses, to exceed small upload limits."""
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("consent", ["true", "1", "yes", "TRUE", "Yes"])
def test_multipart_upload_is_analysed_and_stored(
    client: TestClient, photo: bytes, consent: str
) -> None:
    response = _upload(client, photo, consent=consent, user_id="wx_1", channel="miniprogram")
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["Location"] == f"/analyses/{body['analysis_id']}"
    assert body["user_id"] == "wx_1"
    assert body["created_at"].endswith(("Z", "+00:00"))
    assert body["model_version"] == "fake-1"
    assert set(body["scores"]) >= {"redness", "acne", "wrinkles"}
    assert body["overlays"] is None
    assert (_count(client, UserRecord), _count(client, ConsentRecord)) == (1, 1)
    assert client.get(f"/analyses/{body['analysis_id']}").json() == body


@pytest.mark.parametrize("encode", [str, lambda b64: f"data:image/png;base64,{b64}"])
def test_json_upload_accepts_base64_or_a_data_url(
    client: TestClient, photo: bytes, encode: Callable[[str], str]
) -> None:
    image_base64 = encode(base64.b64encode(photo).decode())
    response = client.post("/analyze", json={"image_base64": image_base64, "consent": True})
    assert response.status_code == 201, response.text
    assert response.json()["user_id"] is None
    assert _count(client, AnalysisRecord) == 1
    assert _count(client, UserRecord) == 0


def test_overlays_are_returned_but_never_stored(client: TestClient, photo: bytes) -> None:
    body = _upload(client, photo, consent="true", overlays="true").json()
    assert body["overlays"]
    assert client.get(f"/analyses/{body['analysis_id']}").json()["overlays"] is None


@pytest.mark.parametrize("consent", [None, "", "false", "0", "no", "maybe"])
def test_multipart_without_consent_is_refused_before_decoding(
    client: TestClient, fake_analyzer: Any, consent: str | None
) -> None:
    fields = {} if consent is None else {"consent": consent}
    response = _upload(client, b"not even an image", **fields)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "CONSENT_REQUIRED"
    assert error["message_zh"]
    assert fake_analyzer.calls == 0


@pytest.mark.parametrize(
    "payload", [{"image_base64": "AAAA"}, {"image_base64": "AAAA", "consent": False}]
)
def test_json_without_consent_is_refused(client: TestClient, payload: dict[str, Any]) -> None:
    response = client.post("/analyze", json=payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "CONSENT_REQUIRED"


@pytest.mark.parametrize(
    "send",
    [
        lambda c: _upload(c, None, consent="true"),
        lambda c: c.post(
            "/analyze", files={"consent": (None, "true"), "image": (None, "text, not a file")}
        ),
        lambda c: _upload(c, b"", consent="true"),
        lambda c: c.post("/analyze", json={"consent": True}),
        lambda c: c.post("/analyze", json={"consent": True, "image_base64": "  "}),
    ],
    ids=["no-file", "text-field", "empty-file", "json-no-image", "json-blank-image"],
)
def test_missing_image_is_422_image_missing(client: TestClient, send: Post) -> None:
    response = send(client)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IMAGE_MISSING"


@pytest.mark.parametrize(
    "send",
    [
        lambda c: _upload(c, b"GIF89a definitely not a face", consent="true"),
        lambda c: c.post(
            "/analyze",
            json={"consent": True, "image_base64": base64.b64encode(b"plain text").decode()},
        ),
        lambda c: c.post("/analyze", json={"consent": True, "image_base64": "%%% not base64"}),
    ],
    ids=["multipart-bytes", "json-bytes", "json-not-base64"],
)
def test_non_image_bytes_are_422_invalid_image(client: TestClient, send: Post) -> None:
    response = send(client)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "INVALID_IMAGE"


def test_photo_over_the_upload_limit_is_422_image_too_large(api: Callable[..., TestClient]) -> None:
    client = api(max_upload_bytes=20_000)
    oversized = _noisy_png(120)
    assert 20_000 < len(oversized) < client.app.state.settings.max_request_bytes  # type: ignore[attr-defined]
    response = _upload(client, oversized, consent="true")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "IMAGE_TOO_LARGE"
    as_json = {"consent": True, "image_base64": base64.b64encode(oversized).decode()}
    assert client.post("/analyze", json=as_json).json()["error"]["code"] == "IMAGE_TOO_LARGE"


def test_body_far_over_the_limit_is_413(api: Callable[..., TestClient]) -> None:
    client = api(max_upload_bytes=20_000)
    response = _upload(client, b"\xff" * 500_000, consent="true")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "REQUEST_TOO_LARGE"


def test_streamed_body_is_cut_off_at_the_limit(api: Callable[..., TestClient]) -> None:
    client = api(max_upload_bytes=20_000)
    sent: list[int] = []

    def chunks() -> Any:  # no Content-Length: the server has to count
        for _ in range(50):
            sent.append(1)
            yield b"x" * 10_000

    response = client.post(
        "/analyze", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "REQUEST_TOO_LARGE"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "image/jpeg", None]
)
def test_other_content_types_are_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/analyze", content=b"consent=true", headers=headers)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        (b"{not json", ["body"]),
        (b'["a", "list"]', ["body"]),
        (b'{"consent": true, "image_base64": 12}', ["body", "image_base64"]),
        (b'{"consent": true, "image_base64": "AA", "overlays": "sometimes"}', ["body", "overlays"]),
    ],
)
def test_malformed_json_is_422_validation_error(
    client: TestClient, body: bytes, loc: list[str]
) -> None:
    response = client.post("/analyze", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message_zh"]
    assert error["details"]["errors"][0]["loc"] == loc


@pytest.mark.parametrize("user_id", ["13800138000", "../etc", "has space"])
def test_bad_user_ids_are_422_and_not_echoed(
    client: TestClient, photo: bytes, user_id: str
) -> None:
    response = _upload(client, photo, consent="true", user_id=user_id)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["errors"][0]["loc"] == ["body", "user_id"]
    assert user_id not in response.text


def test_quality_failure_is_422_bilingual_and_not_stored(
    client: TestClient, png_factory: Callable[..., bytes]
) -> None:
    response = _upload(client, png_factory((0, 0, 0)), consent="true", user_id="wx_1")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "NO_FACE"
    assert error["message"] == "No face was found in the photo."
    assert error["message_zh"] == "照片中未检测到人脸。"
    assert error["hint"]
    assert _count(client, AnalysisRecord) == 0
    assert client.get("/users/wx_1/analyses").status_code == 404


def test_unexpected_analyzer_error_is_500_without_internals(
    api: Callable[..., TestClient], photo: bytes
) -> None:
    class ExplodingAnalyzer:
        model_version = "boom"

        def analyze(self, rgb: Any, *, overlays: bool = False) -> Any:
            raise RuntimeError("secret path /srv/models/face.onnx and user 13800138000")

        def versions(self) -> dict[str, str]:
            return {}

    client = api(raise_server_exceptions=False)
    client.app.dependency_overrides[get_analyzer] = ExplodingAnalyzer  # type: ignore[attr-defined]
    response = client.post(
        "/analyze",
        data={"consent": "true"},
        files={"image": ("a.png", photo, "image/png")},
        headers={"X-Request-ID": "req-500"},
    )
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    assert response.json() == {
        "error": {
            "code": "INTERNAL_ERROR",
            "message": InternalError.message,
            "message_zh": InternalError.message_zh,
            "hint": None,
            "hint_zh": None,
            "details": {"request_id": "req-500"},
        }
    }
    assert _count(client, AnalysisRecord) == 0


def test_raw_photos_are_not_kept_by_default(client: TestClient, photo: bytes) -> None:
    body = _upload(client, photo, consent="true", user_id="wx_1").json()
    settings = client.app.state.settings  # type: ignore[attr-defined]
    assert not (settings.data_dir / "raw").exists()
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        assert session.get(AnalysisRecord, body["analysis_id"]).raw_image_path is None


def test_logs_never_contain_the_photo_or_phone_numbers(
    client: TestClient, photo: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    image_base64 = base64.b64encode(photo).decode()
    client.post("/analyze", json={"consent": True, "image_base64": image_base64})
    client.get("/users/13800138000/analyses")
    text = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert image_base64[:40] not in text
    assert "13800138000" not in text
    assert "[phone]" in text
