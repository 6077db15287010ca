"""The BA page: store sign-in with hashed keys, a signed session cookie, and phone ids."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from skinlab.db import make_engine, make_sessionmaker
from skinlab.store_keys import add_store_key

PHONE = "13912345678"


def _add_key(client: TestClient, store_id: str = "sh-01") -> str:
    engine = make_engine(client.app.state.settings.database_url)  # type: ignore[attr-defined]
    with make_sessionmaker(engine)() as session:
        key = add_store_key(session, store_id)
        session.commit()
    engine.dispose()
    return key


def _sign_in(client: TestClient, store_id: str, key: str) -> int:
    response = client.post(
        "/ba/sign-in", data={"store_id": store_id, "store_key": key}, follow_redirects=False
    )
    return response.status_code


@pytest.mark.parametrize("path", ["/ba/", "/ba/?lang=en"])
def test_the_page_sends_a_signed_out_tablet_to_sign_in(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ba/sign-in"
    form = client.get("/ba/sign-in")
    assert form.status_code == 200 and "门店登录" in form.text


def test_the_right_key_signs_in_and_sign_out_ends_it(client: TestClient) -> None:
    key = _add_key(client)
    assert _sign_in(client, "sh-01", key) == 303
    cookie = client.cookies.get("skinlab_ba")
    assert cookie and key not in cookie
    page = client.get("/ba/")
    assert page.status_code == 200 and "sh-01" in page.text and "月卡推荐" in page.text
    for module in ("ba", "core", "customer", "card", "photo", "results", "formula"):
        script = client.get(f"/ba/static/{module}.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/ba/static/ba.css").status_code == 200
    client.post("/ba/sign-out", follow_redirects=False)
    assert client.get("/ba/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("store_id", "key"), [("sh-01", "wrong"), ("bj-02", None), ("sh-01", ""), ("nope", None)]
)
def test_a_wrong_key_or_store_is_refused(
    client: TestClient, store_id: str, key: str | None
) -> None:
    right = _add_key(client)
    response = client.post(
        "/ba/sign-in", data={"store_id": store_id, "store_key": key if key is not None else right}
    )
    assert response.status_code in (401, 422)
    assert "skinlab_ba" not in client.cookies
    assert client.get("/ba/", follow_redirects=False).status_code == 303


def test_the_key_is_stored_only_as_a_hash(client: TestClient) -> None:
    key = _add_key(client)
    engine = make_engine(client.app.state.settings.database_url)  # type: ignore[attr-defined]
    with engine.connect() as connection:
        (stored,) = connection.execute(text("SELECT key_hash FROM store_keys")).scalars()
    engine.dispose()
    assert stored.startswith("scrypt$") and key not in stored


def test_a_cookie_signed_by_another_secret_is_not_a_sign_in(
    api: Callable[..., TestClient],
) -> None:
    first = api(session_secret="one")
    second = api(session_secret="two", data_dir=Path(str(first.app.state.settings.data_dir)))  # type: ignore[attr-defined]
    assert _sign_in(first, "sh-01", _add_key(first)) == 303
    second.cookies.set("skinlab_ba", first.cookies["skinlab_ba"], path="/ba")
    assert second.get("/ba/", follow_redirects=False).status_code == 303


def test_customer_lookup_needs_a_sign_in(client: TestClient) -> None:
    response = client.post("/ba/customers", json={"phone": PHONE})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "SIGN_IN_REQUIRED"


def test_a_phone_number_becomes_an_id_and_is_stored_nowhere(
    client: TestClient, png_factory: Callable[..., bytes]
) -> None:
    _sign_in(client, "sh-01", _add_key(client))
    found = client.post("/ba/customers", json={"phone": "139 1234 5678"}).json()
    again = client.post("/ba/customers", json={"phone": "+86" + PHONE}).json()
    assert found == again and found["from_phone"] is True
    user_id = found["user_id"]
    assert user_id.startswith("ph:") and PHONE not in user_id
    analyzed = client.post(
        "/analyze",
        files={"image": ("face.png", png_factory(), "image/png")},
        data={"consent": "true", "user_id": user_id, "channel": "ba_tablet"},
    )
    assert analyzed.status_code == 201
    assert client.get(f"/users/{user_id}/analyses").json()["count"] == 1
    data_dir = Path(str(client.app.state.settings.data_dir))  # type: ignore[attr-defined]
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert PHONE.encode() not in content and b"1234 5678" not in content, path


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"phone": "12345"}, "INVALID_PHONE"),
        ({"user_id": PHONE}, "INVALID_CUSTOMER"),
        ({"user_id": "../etc"}, "INVALID_CUSTOMER"),
        ({}, "INVALID_CUSTOMER"),
    ],
)
def test_bad_customer_lookups_are_explained(
    client: TestClient, body: dict[str, str], code: str
) -> None:
    _sign_in(client, "sh-01", _add_key(client))
    response = client.post("/ba/customers", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message_zh"]


def test_a_pseudonymous_id_is_used_as_it_is(client: TestClient) -> None:
    _sign_in(client, "sh-01", _add_key(client))
    found = client.post("/ba/customers", json={"user_id": "wx_abc"}).json()
    assert found == {"user_id": "wx_abc", "from_phone": False}
