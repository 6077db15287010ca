"""A user's history with score changes, reading and deleting analyses, and erasure."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from data.records import AnalysisRecord, ConsentRecord, UserRecord

# Photo colours whose mean brightness the fake analyzer turns into every concern's score.
DARKER, MIDDLE, LIGHTER = (90, 60, 60), (150, 120, 100), (220, 200, 190)
PHOTO_KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def analyse(png_factory: Callable[..., bytes]) -> Callable[..., dict[str, Any]]:
    """Upload a plain photo of ``color`` for ``user_id``; returns the response body."""

    def send(
        client: TestClient,
        user_id: str | None,
        color: tuple[int, int, int] = MIDDLE,
        *,
        keep_photo: bool = False,
    ) -> Any:
        fields = {"consent": "true", **({"user_id": user_id} if user_id else {})}
        if keep_photo:
            fields["consent_keep_photo"] = "true"
        response = client.post(
            "/analyze", data=fields, files={"image": ("p.png", png_factory(color), "image/png")}
        )
        assert response.status_code == 201, response.text
        return response.json()

    return send


def _rows(client: TestClient, model: type[Any], user_id: str) -> int:
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(model).where(model.user_id == user_id)
        return int(session.scalar(query))


def test_history_is_newest_first_with_score_changes(
    client: TestClient, analyse: Callable[..., Any]
) -> None:
    first = analyse(client, "wx_1", DARKER)
    second = analyse(client, "wx_1", LIGHTER)
    third = analyse(client, "wx_1", MIDDLE)
    analyse(client, "wx_other", LIGHTER)
    body = client.get("/users/wx_1/analyses").json()
    assert body["user_id"] == "wx_1"
    assert body["count"] == 3
    assert [item["analysis_id"] for item in body["data"]] == [
        third["analysis_id"],
        second["analysis_id"],
        first["analysis_id"],
    ]
    newest = body["data"][0]
    assert newest["previous"]["analysis_id"] == second["analysis_id"]
    expected = round(third["scores"]["redness"]["score"] - second["scores"]["redness"]["score"], 1)
    assert expected < 0
    assert newest["previous"]["changes"]["redness"] == pytest.approx(expected)
    assert set(newest["previous"]["changes"]) == set(newest["scores"])
    assert body["data"][-1]["previous"] is None


def test_a_page_still_compares_its_oldest_item(
    client: TestClient, analyse: Callable[..., Any]
) -> None:
    first = analyse(client, "wx_1", DARKER)
    analyse(client, "wx_1", LIGHTER)
    page = client.get("/users/wx_1/analyses", params={"limit": 1}).json()
    assert page["count"] == 2
    assert len(page["data"]) == 1
    assert page["data"][0]["previous"]["analysis_id"] == first["analysis_id"]
    last_page = client.get("/users/wx_1/analyses", params={"limit": 1, "offset": 1}).json()
    assert last_page["data"][0]["previous"] is None


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 101}, {"offset": -1}])
def test_bad_paging_is_422(client: TestClient, analyse: Callable[..., Any], query: Any) -> None:
    analyse(client, "wx_1")
    response = client.get("/users/wx_1/analyses", params=query)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/users/wx_nobody/analyses"), ("DELETE", "/users/wx_nobody")]
)
def test_unknown_users_are_404(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "USER_NOT_FOUND"


@pytest.mark.parametrize("user_id", ["13800138000", "a%20b", "x" * 65, ".."])
def test_invalid_user_ids_are_422(client: TestClient, user_id: str) -> None:
    for method, path in (("GET", f"/users/{user_id}/analyses"), ("DELETE", f"/users/{user_id}")):
        response = client.request(method, path)
        assert response.status_code in (404, 422), path  # ".." is normalised away by the client
        if response.status_code == 422:
            assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_erasure_removes_every_row_and_file(
    api: Callable[..., TestClient], analyse: Callable[..., Any]
) -> None:
    client = api(store_raw_images=True, photo_key=PHOTO_KEY)
    kept = analyse(client, "wx_keep")
    erased = [
        analyse(client, "wx_1", DARKER, keep_photo=True),
        analyse(client, "wx_1", LIGHTER, keep_photo=True),
    ]
    raw_dir = client.app.state.settings.data_dir / "raw"  # type: ignore[attr-defined]
    assert len(list((raw_dir / "wx_1").iterdir())) == 2

    response = client.delete("/users/wx_1")
    assert response.status_code == 200
    assert response.json() == {
        "users": 1,
        "consents": 4,  # the analysis and keeping the photo, twice
        "analyses": 2,
        "raw_images": 2,
        "card_contacts": 0,
    }
    for model in (UserRecord, ConsentRecord, AnalysisRecord):
        assert _rows(client, model, "wx_1") == 0
        assert _rows(client, model, "wx_keep") == 1
    assert not (raw_dir / "wx_1").exists()
    for body in erased:
        assert client.get(f"/analyses/{body['analysis_id']}").status_code == 404
    assert client.get(f"/analyses/{kept['analysis_id']}").status_code == 200
    assert client.delete("/users/wx_1").status_code == 404


def test_deleting_one_analysis_keeps_the_rest(
    api: Callable[..., TestClient], analyse: Callable[..., Any]
) -> None:
    client = api(store_raw_images=True, photo_key=PHOTO_KEY)
    gone, kept = analyse(client, "wx_1", keep_photo=True), analyse(client, "wx_1")
    response = client.delete(f"/analyses/{gone['analysis_id']}")
    assert response.json() == {"users": 0, "consents": 0, "analyses": 1, "raw_images": 1}
    missing = client.get(f"/analyses/{gone['analysis_id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ANALYSIS_NOT_FOUND"
    assert client.delete(f"/analyses/{gone['analysis_id']}").status_code == 404
    assert client.get("/users/wx_1/analyses").json()["count"] == 1
    assert client.get(f"/analyses/{kept['analysis_id']}").status_code == 200


def test_anonymous_analyses_can_be_read_and_deleted_by_id(
    client: TestClient, analyse: Callable[..., Any]
) -> None:
    body = analyse(client, None)
    assert client.get(f"/analyses/{body['analysis_id']}").json()["user_id"] is None
    assert client.delete(f"/analyses/{body['analysis_id']}").json()["analyses"] == 1


def test_analysis_ids_must_be_uuids(client: TestClient) -> None:
    response = client.get("/analyses/not-a-uuid")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"][0]["loc"] == ["path", "analysis_id"]
