"""The API writes the audit trail: each issued SKU names the key and the versions; an erasure
names no one; previews and refusals write nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from skinlab.api_keys import parse_key_id
from skinlab.audit import AuditEvent, erasure_subject, list_events, verify_chain

SCORES = {"spots": 60.0, "redness": 30.0}


def _events(client: TestClient, action: str | None = None) -> list[AuditEvent]:
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        return list_events(session, action=action)


def _key_id(client: TestClient) -> str:
    key_id = parse_key_id(client.headers["Authorization"].removeprefix("Bearer "))
    assert key_id is not None
    return key_id


def test_formulate_writes_one_sku_issued_row_naming_key_and_versions(
    client: TestClient,
) -> None:
    response = client.post("/formulate", json={"scores": SCORES, "user_id": "wx_audit"})
    assert response.status_code == 201, response.text
    body = response.json()
    (event,) = _events(client)
    assert (event.action, event.subject) == ("sku_issued", body["sku"])
    assert event.actor == f"key:{_key_id(client)}"
    versions = event.details["versions"]
    assert versions == body["formula"]["versions"]
    assert versions["catalog"].startswith("cat-") and versions["solver"].startswith("HiGHS")
    assert event.details["issuance_id"] == body["issuance_id"]
    assert event.details["new_sku"] is True
    assert "wx_audit" not in str(event.details)  # the trail outlives erasures: no user ids
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        assert verify_chain(session).ok


def test_previews_and_refusals_write_no_audit_row(client: TestClient) -> None:
    assert client.post("/formulate?issue=false", json={"scores": SCORES}).status_code == 200
    assert client.post("/formulate", json={"analysis_id": "nope"}).status_code == 404
    assert _events(client) == []


def test_a_store_key_is_named_as_the_actor(
    api: Callable[..., TestClient],
) -> None:
    client = api(role="store", store_id="sh-01")
    issued = client.post("/formulate", json={"scores": SCORES, "store_id": "sh-01"})
    assert issued.status_code == 201, issued.text
    (event,) = _events(client, "sku_issued")
    assert event.actor == f"key:{_key_id(client)}"
    assert event.details["store_id"] == "sh-01"


def test_erasure_is_audited_without_the_user_id(
    client: TestClient, png_factory: Callable[..., bytes]
) -> None:
    uploaded = client.post(
        "/analyze",
        data={"consent": "true", "user_id": "wx_gone"},
        files={"image": ("face.png", png_factory(), "image/png")},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert client.delete("/users/wx_gone").status_code == 200
    assert client.delete("/users/wx_gone").status_code == 404  # nothing erased: no row
    (event,) = _events(client, "user_erased")
    settings = client.app.state.settings  # type: ignore[attr-defined]
    assert event.subject == erasure_subject(settings, "wx_gone")
    assert "wx_gone" not in f"{event.subject} {event.details}"
    assert event.details["analyses"] == 1
    assert event.actor == f"key:{_key_id(client)}"
