"""Requests the schema fuzzing (``test_api_fuzz.py``) found answered off the schema."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/formulate"), ("PUT", "/stores/s1/stock"), ("POST", "/rank")],
)
def test_a_json_body_that_is_not_utf8_is_a_validation_error(
    client: TestClient, method: str, path: str
) -> None:
    """Was FastAPI's undocumented 400 BAD_REQUEST; bad JSON syntax was already a 422."""
    response = client.request(
        method, path, content=b'{"x": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["errors"] == [
        {"loc": ["body"], "msg": "The body is not UTF-8 JSON", "type": "json_invalid"}
    ]


def test_the_preview_status_of_formulate_is_documented(client: TestClient) -> None:
    """``POST /formulate?issue=false`` answers 200, which the schema did not list."""
    preview = client.post("/formulate?issue=false", json={"focus": ["dryness"]})
    assert preview.status_code == 200, preview.text
    responses = client.get("/openapi.json").json()["paths"]["/formulate"]["post"]["responses"]
    assert {"200", "201"} <= set(responses)
