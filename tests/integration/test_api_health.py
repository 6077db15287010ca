"""Probes, versions, the shared error shape for routing errors, request ids and access logs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from skinlab.settings import Settings


def test_healthz_answers_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_with_the_model_version_once_loaded(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready", "model_version": "fake-1", "reason": None, "model_failures": None,
    }  # fmt: skip


def test_readyz_is_503_while_loading_then_200(
    api: Callable[..., TestClient], fake_analyzer: Any
) -> None:
    release = threading.Event()

    def slow_loader(_settings: Settings) -> Any:
        release.wait(timeout=5)
        return fake_analyzer

    client = api(loader=slow_loader)
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "loading"
        assert client.get("/healthz").status_code == 200
        analyze = client.post("/analyze", json={"consent": True, "image_base64": "AAAA"})
        assert analyze.status_code == 503
        assert analyze.json()["error"]["code"] == "MODEL_UNAVAILABLE"
    finally:
        release.set()
    assert client.app.state.analyzer_state.wait(timeout=5)  # type: ignore[attr-defined]
    assert client.get("/readyz").status_code == 200


def test_readyz_reports_why_loading_failed(api: Callable[..., TestClient]) -> None:
    def broken_loader(_settings: Settings) -> Any:
        raise FileNotFoundError("face_detector.onnx is missing")

    client = api(loader=broken_loader)
    assert client.app.state.analyzer_state.wait(timeout=5)  # type: ignore[attr-defined]
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "failed"
    assert "face_detector.onnx is missing" in response.json()["reason"]
    analyze = client.post("/analyze", json={"consent": True, "image_base64": "AAAA"})
    assert analyze.status_code == 503
    assert analyze.json()["error"]["code"] == "MODEL_UNAVAILABLE"


def test_version_names_service_and_model_versions(client: TestClient) -> None:
    body = client.get("/version").json()
    assert body["service"] == "skinlab"
    assert body["version"]
    assert body["model_version"] == "fake-1"
    assert body["models"] == {"skin_model": "fake-1", "face_detector": "0123abcd"}
    assert body["catalog_version"].startswith("cat-")
    assert body["solver_version"].startswith("HiGHS ")
    # files mode (the default): the shipped propensity model loads with the first ranking
    assert body["served_models"] == {
        "skin-heads": {"source": "files", "version": "fake-1", "registry_version": None},
        "propensity": {"source": "files", "version": None, "registry_version": None},
    }


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/route", 404, "NOT_FOUND"),
        ("DELETE", "/healthz", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/analyze", 405, "METHOD_NOT_ALLOWED"),
    ],
)
def test_routing_errors_use_the_error_shape(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"] and error["message_zh"]
    assert "hint" in error


def test_request_id_is_echoed_when_valid(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "mp-42.abc:1"})
    assert response.headers["X-Request-ID"] == "mp-42.abc:1"


@pytest.mark.parametrize("incoming", [None, "has spaces in it", "x" * 200, "<script>"])
def test_request_id_is_generated_when_missing_or_malformed(
    client: TestClient, incoming: str | None
) -> None:
    headers = {"X-Request-ID": incoming} if incoming else {}
    generated = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    assert generated != incoming
    assert len(generated) == 32


def test_one_access_line_per_request_with_its_fields(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="skinlab.access")
    client.get("/users/wx_1/analyses", headers={"X-Request-ID": "trace-1"})
    (line,) = [r for r in caplog.records if r.name == "skinlab.access"]
    assert line.request_id == "trace-1"  # type: ignore[attr-defined]
    assert line.method == "GET"  # type: ignore[attr-defined]
    assert line.path == "/users/wx_1/analyses"  # type: ignore[attr-defined]
    assert line.status == 404  # type: ignore[attr-defined]
    assert line.duration_ms >= 0  # type: ignore[attr-defined]


def test_openapi_documents_both_upload_formats(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/analyze"]["post"]["requestBody"]["content"]
    assert set(content) == {"multipart/form-data", "application/json"}
    assert content["multipart/form-data"]["schema"]["properties"]["image"]["format"] == "binary"
    assert "image_base64" in content["application/json"]["schema"]["properties"]
