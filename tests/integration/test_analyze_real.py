"""``POST /analyze`` with the real shipped models on real photos: every quality verdict, a
successful analysis, and malformed uploads that must never produce a server error."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from numpy.typing import NDArray
from PIL import Image

from data.augment import Perturbation, apply_perturbation
from data.photos import FACES_DIR, load_rgb
from data.vocabulary import CONCERNS, REGIONS
from serving.app import create_app
from skinlab.api_keys import create_api_key
from skinlab.settings import Settings

FRONTAL = FACES_DIR / "0-f15-hao-ph.jpg"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("real")
    settings = Settings(_env_file=None, environment="test", data_dir=data_dir)  # type: ignore[call-arg]
    app = create_app(settings)
    with TestClient(app) as test_client:
        assert app.state.analyzer_state.wait(timeout=60), "models did not load"
        with app.state.sessionmaker() as session:
            issued = create_api_key(session, "miniprogram")
            session.commit()
        test_client.headers["Authorization"] = f"Bearer {issued.key}"
        yield test_client


def _jpeg(rgb: NDArray[np.uint8], quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _post(client: TestClient, payload: bytes, name: str = "photo.jpg") -> tuple[int, dict]:
    response = client.post(
        "/analyze", files={"image": (name, payload, "image/jpeg")}, data={"consent": "true"}
    )
    return response.status_code, response.json()


def _rotated(path: Path, degrees: float) -> NDArray[np.uint8]:
    return apply_perturbation(load_rgb(path), Perturbation(rotation_deg=degrees))


QUALITY_CASES: dict[str, tuple[str, object]] = {
    "NO_FACE": ("free-mountain-vector-01.jpg", None),
    "MULTIPLE_FACES": ("multi_face.jpg", None),
    "FACE_TOO_SMALL": ("Tom_Hanks_54745.png", None),
    "HEAD_TURNED": ("45-m7-di-ph.jpg", None),
    "HEAD_TILTED": ("0-f15-hao-ph.jpg", lambda p: _rotated(p, 35.0)),
    "TOO_BLURRY": ("0-f15-hao-ph.jpg", lambda p: cv2.GaussianBlur(load_rgb(p), (0, 0), 4.0)),
    "TOO_DARK": ("0-f15-hao-ph.jpg", lambda p: (load_rgb(p) * 0.2).astype(np.uint8)),
    "OVEREXPOSED": (
        "0-f15-hao-ph.jpg",
        lambda p: np.clip(load_rgb(p).astype(np.float32) * 2.4, 0, 255).astype(np.uint8),
    ),
}


@pytest.mark.parametrize("code", list(QUALITY_CASES))
def test_each_quality_failure_is_a_bilingual_422_on_a_real_photo(
    client: TestClient, code: str
) -> None:
    name, transform = QUALITY_CASES[code]
    path = FACES_DIR / name
    image = load_rgb(path) if transform is None else transform(path)  # type: ignore[operator]
    status, body = _post(client, _jpeg(image))
    assert status == 422, body
    assert body["error"]["code"] == code
    assert body["error"]["message"] and body["error"]["message_zh"] and body["error"]["hint"]


def test_a_good_photo_gets_every_score_region_tone_and_type(client: TestClient) -> None:
    status, body = _post(client, FRONTAL.read_bytes())
    assert status == 201, body
    assert set(body["scores"]) == set(CONCERNS)
    for concern in CONCERNS:
        score = body["scores"][concern]
        assert 0 <= score["score"] <= 100
        assert set(score["regions"]) <= set(REGIONS) and len(score["regions"]) >= 5
    assert body["tone"]["category"] in {"very_light", "light", "intermediate", "tan"}
    assert body["skin_type"]["type"] in {"dry", "normal", "oily", "combination"}
    assert body["quality"]["ok"] is True and body["quality"]["measures"]["faces_found"] == 1
    assert body["model_version"].startswith("skin-")


def test_overlays_are_pngs_of_the_aligned_face(client: TestClient) -> None:
    response = client.post(
        "/analyze",
        files={"image": ("p.jpg", FRONTAL.read_bytes(), "image/jpeg")},
        data={"consent": "true", "overlays": "true"},
    )
    overlays = response.json()["overlays"]
    assert set(overlays) == {"face", *CONCERNS}
    import base64

    face = cv2.imdecode(np.frombuffer(base64.b64decode(overlays["face"]), np.uint8), -1)
    heat = cv2.imdecode(np.frombuffer(base64.b64decode(overlays["redness"]), np.uint8), -1)
    assert face.shape[:2] == heat.shape[:2] and heat.shape[2] == 4


def _malformed() -> list[tuple[str, bytes]]:
    good = FRONTAL.read_bytes()
    rng = np.random.default_rng(0)
    cases = [
        ("empty", b""),
        ("random", rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()),
        ("truncated-half", good[: len(good) // 2]),
        ("truncated-header", good[:200]),
        ("text", b"hello, this is not a photo"),
    ]
    huge = io.BytesIO()
    Image.new("L", (64, 64)).save(huge, format="PNG")
    raw = bytearray(huge.getvalue())
    raw[16:24] = (60000).to_bytes(4, "big") + (60000).to_bytes(4, "big")
    cases.append(("huge-dimensions", bytes(raw)))
    cmyk = io.BytesIO()
    Image.open(FRONTAL).convert("CMYK").save(cmyk, format="JPEG")
    cases.append(("cmyk", cmyk.getvalue()))
    gray16 = io.BytesIO()
    Image.fromarray(load_rgb(FRONTAL)[..., 0].astype(np.uint16) * 257).save(gray16, "PNG")
    cases.append(("gray16", gray16.getvalue()))
    animated = io.BytesIO()
    frame = Image.open(FRONTAL).convert("RGB")
    frame.save(animated, format="WEBP", save_all=True, append_images=[frame.rotate(90)])
    cases.append(("animated-webp", animated.getvalue()))
    return cases


@pytest.mark.parametrize(
    ("name", "payload"), _malformed(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_malformed_uploads_never_get_a_server_error(
    client: TestClient, name: str, payload: bytes
) -> None:
    status, body = _post(client, payload)
    assert status < 500, body
    if status >= 400:
        assert body["error"]["code"] and body["error"]["message_zh"]
