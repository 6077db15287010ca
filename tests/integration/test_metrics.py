"""``GET /metrics``: requests by route template, rejections by code, model versions, readiness;
no user id in any label; the key it needs, unless made public."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from skinlab.settings import Settings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
USER_ID = "wx_secret_person_42"


def _scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template(client: TestClient) -> None:
    for _ in range(2):
        assert client.get(f"/users/{USER_ID}/analyses").status_code == 404
    assert client.get("/healthz").status_code == 200
    samples = _scrape(client)
    route = "/users/{user_id}/analyses"
    assert _value(samples, "skinlab_requests_total", method="GET", route=route, status="404") == 2
    assert _value(samples, "skinlab_requests_total", method="GET", route="/healthz", status="200")
    assert _value(samples, "skinlab_request_seconds_count", route=route) == 2
    assert _value(samples, "skinlab_rejections_total", code="USER_NOT_FOUND") == 2


def test_rejections_are_counted_by_code(
    api: Callable[..., TestClient], png_factory: Callable[..., bytes]
) -> None:
    client = api(max_body_bytes=1024)
    assert client.post("/formulate", json={"scores": {"spots": "lots"}}).status_code == 422
    assert (
        client.get("/skus/SKAAAAAAAAAAAA", headers={"Authorization": "Bearer nope"}).json()[
            "error"
        ]["code"]
        == "INVALID_API_KEY"
    )
    anonymous = client.get("/skus/SKAAAAAAAAAAAA", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    too_big = client.post("/formulate", content=b"{" + b" " * 4096 + b"}")
    assert too_big.status_code == 413
    assert client.get("/no/such/path").status_code == 404
    samples = _scrape(client)
    for code in ("VALIDATION_ERROR", "INVALID_API_KEY", "API_KEY_REQUIRED", "REQUEST_TOO_LARGE"):
        assert _value(samples, "skinlab_rejections_total", code=code) == 1, code
    assert _value(samples, "skinlab_rejections_total", code="NOT_FOUND") == 1
    # refused before routing, still named by its route
    assert _value(
        samples, "skinlab_requests_total", method="POST", route="/formulate", status="413"
    )
    assert _value(
        samples, "skinlab_requests_total", method="GET", route="<unmatched>", status="404"
    )


def test_model_versions_and_readiness(client: TestClient) -> None:
    samples = _scrape(client)
    versions = {
        dict(labels)["model"]: dict(labels)["version"]
        for name, labels in samples
        if name == "skinlab_model_info"
    }
    assert versions["skin_model"] == "fake-1"
    assert versions["face_detector"] == "0123abcd"
    assert versions["catalog"] == client.app.state.catalog.version  # type: ignore[attr-defined]
    assert _value(samples, "skinlab_ready") == 1


def test_ready_is_zero_while_the_models_load(
    api: Callable[..., TestClient], fake_analyzer: Any
) -> None:
    release = threading.Event()

    def slow_loader(_settings: Settings) -> Any:
        release.wait(timeout=5)
        return fake_analyzer

    client = api(loader=slow_loader)
    try:
        assert client.get("/readyz").status_code == 503
        samples = _scrape(client)
        assert _value(samples, "skinlab_ready") == 0
        assert not any(
            dict(labels).get("model") == "skin_model"
            for name, labels in samples
            if name == "skinlab_model_info"
        )
    finally:
        release.set()


def test_no_user_id_or_sku_appears_in_any_label(client: TestClient) -> None:
    client.get(f"/users/{USER_ID}/analyses")
    client.delete(f"/users/{USER_ID}")
    client.get("/skus/SKAAAAAAAAAAAA")
    text = client.get("/metrics").text
    assert USER_ID not in text
    assert "SKAAAAAAAAAAAA" not in text
    routes = set(re.findall(r'route="([^"]*)"', text))
    assert routes <= {
        "/users/{user_id}/analyses",
        "/users/{user_id}",
        "/skus/{code}",
        "/metrics",
    }


def test_metrics_need_a_data_scientist_or_admin_key(
    api: Callable[..., TestClient], key_factory: Callable[..., str]
) -> None:
    client = api(role=None)
    assert client.get("/metrics").json()["error"]["code"] == "API_KEY_REQUIRED"
    store = key_factory(client, "store", store_id="sh-01")
    refused = client.get("/metrics", headers={"Authorization": f"Bearer {store}"})
    assert refused.json()["error"]["code"] == "FORBIDDEN_ROLE"
    scientist = key_factory(client, "data_scientist")
    assert client.get("/metrics", headers={"X-API-Key": scientist}).status_code == 200


def test_metrics_can_be_public(api: Callable[..., TestClient]) -> None:
    client = api(role=None, metrics_public=True)
    assert client.get("/metrics").status_code == 200
