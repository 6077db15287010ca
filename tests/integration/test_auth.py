"""API keys and roles: every route against every role, revocation, store scope, rate limits, CORS,
body limits, and the BA page's signed-in session as a store principal."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from fastapi.testclient import TestClient

from serving.auth import ROLE_MATRIX, AreaGuard
from skinlab.api_keys import Role, revoke_api_key
from skinlab.store_keys import add_store_key

KeyFactory = Callable[..., str]
STORE = "sh-01"
OTHER_STORE = "bj-02"
# Routes anyone may call: probes, the API's own documentation, and the BA page (which has its
# own sign-in). Everything else must declare an area of ROLE_MATRIX.
OPEN_PATHS = {
    "/healthz",
    "/readyz",
    "/version",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}
PATH_VALUES = {
    "analysis_id": "00000000-0000-4000-8000-000000000000",
    "user_id": "wx_matrix",
    "code": "SKAAAAAAAAAAAA",
    "store_id": STORE,
}


def _guard(route: RouteContext) -> AreaGuard | None:
    """The area guard among ``route``'s dependencies (its router's included), depth first."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, AreaGuard):
            return dependant.call
        stack.extend(dependant.dependencies)
    return None


def _guarded_routes(client: TestClient) -> Iterator[tuple[str, str, AreaGuard]]:
    """``(method, concrete path, guard)`` for every API route that is not open."""
    seen = 0
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        path_format = route.path_format or ""
        if not isinstance(route.original_route, APIRoute) or path_format.startswith("/ba/"):
            continue
        seen += 1
        guard = _guard(route)
        if path_format in OPEN_PATHS:
            assert guard is None, f"{path_format} is open but declares {guard.area}"
            continue
        assert guard is not None, f"{sorted(route.methods or ())} {path_format} has no area"
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], path_format)
        for method in sorted(route.methods or ()):
            yield method, path, guard
    assert seen >= 10, "found too few routes: has FastAPI changed how it lists them?"


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _role_keys(client: TestClient, key_factory: KeyFactory) -> dict[Role, str]:
    return {
        role: key_factory(client, role, store_id=STORE if role is Role.STORE else None)
        for role in Role
    }


def test_every_route_admits_exactly_the_roles_of_its_area(
    client: TestClient, key_factory: KeyFactory
) -> None:
    keys = _role_keys(client, key_factory)
    routes = list(_guarded_routes(client))
    areas = {guard.area for _, _, guard in routes}
    assert {"analyses", "formulation", "users", "stock"} <= areas
    for method, path, guard in routes:
        assert guard.roles == ROLE_MATRIX[guard.area]
        for role, key in keys.items():
            response = client.request(method, path, headers=_bearer(key), json={})
            if role in guard.roles:
                assert response.status_code not in (401, 403), (method, path, role, response.text)
            else:
                assert response.status_code == 403, (method, path, role)
                error = response.json()["error"]
                assert error["code"] == "FORBIDDEN_ROLE"
                assert error["message_zh"] and error["hint_zh"]
                assert role not in error["details"]["allowed_roles"]


def test_every_route_but_the_open_ones_needs_a_key(api: Callable[..., TestClient]) -> None:
    client = api(role=None)
    for method, path, _ in _guarded_routes(client):
        response = client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "API_KEY_REQUIRED"
        assert response.headers["www-authenticate"] == "Bearer"
    for path in ("/healthz", "/readyz", "/version", "/openapi.json", "/docs", "/ba/sign-in"):
        assert client.get(path).status_code not in (401, 403), path


def test_the_openapi_document_names_both_key_headers(client: TestClient) -> None:
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {scheme["type"] for scheme in schemes.values()} == {"http", "apiKey"}


@pytest.mark.parametrize(
    "key",
    [
        "not-a-key",
        "skl_000000000000_" + "A" * 32,  # well formed, no such id
        "",
    ],
)
def test_an_unknown_key_is_refused(api: Callable[..., TestClient], key: str) -> None:
    client = api(role=None)
    response = client.get("/users/wx_1/analyses", headers=_bearer(key) if key else {})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == ("INVALID_API_KEY" if key else "API_KEY_REQUIRED")


def test_a_real_key_id_with_another_secret_is_refused(
    api: Callable[..., TestClient], key_factory: KeyFactory
) -> None:
    client = api(role=None)
    key = key_factory(client, "admin")
    forged = key[: -len("A" * 32)] + "A" * 32
    response = client.get("/skus/SKAAAAAAAAAAAA", headers=_bearer(forged))
    assert response.json()["error"]["code"] == "INVALID_API_KEY"
    assert client.get("/skus/SKAAAAAAAAAAAA", headers=_bearer(key)).status_code == 404


def test_the_key_may_come_as_x_api_key(
    api: Callable[..., TestClient], key_factory: KeyFactory
) -> None:
    client = api(role=None)
    key = key_factory(client, "miniprogram")
    assert client.get("/skus/SKAAAAAAAAAAAA", headers={"X-API-Key": key}).status_code == 404


def test_a_revoked_key_stops_working_at_once(
    api: Callable[..., TestClient], key_factory: KeyFactory
) -> None:
    client = api(role=None)
    key = key_factory(client, "miniprogram")
    assert client.get("/skus/SKAAAAAAAAAAAA", headers=_bearer(key)).status_code == 404
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        assert revoke_api_key(session, key.split("_")[1]) is not None
        session.commit()
    response = client.get("/skus/SKAAAAAAAAAAAA", headers=_bearer(key))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_API_KEY"


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_a_store_key_reaches_only_its_own_store(
    api: Callable[..., TestClient], method: str
) -> None:
    client = api(role="store", store_id=STORE)
    body: dict[str, Any] = {"out_of_stock": []}
    own = client.request(method, f"/stores/{STORE}/stock", json=body)
    assert own.status_code == 200, own.text
    other = client.request(method, f"/stores/{OTHER_STORE}/stock", json=body)
    assert other.status_code == 403
    error = other.json()["error"]
    assert error["code"] == "OTHER_STORE" and error["message_zh"]


def test_admins_reach_every_store(client: TestClient) -> None:
    for store in (STORE, OTHER_STORE):
        assert client.get(f"/stores/{store}/stock").status_code == 200


def test_the_rate_limit_is_per_key_and_recovers(
    api: Callable[..., TestClient], key_factory: KeyFactory
) -> None:
    client = api(role=None, rate_limit="2/second")
    first, second = key_factory(client, "admin"), key_factory(client, "admin")
    path = "/stores/sh-01/stock"
    assert [client.get(path, headers=_bearer(first)).status_code for _ in range(2)] == [200, 200]
    limited = client.get(path, headers=_bearer(first))
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(limited.headers["retry-after"]) <= 2
    assert client.get(path, headers=_bearer(second)).status_code == 200
    assert client.get("/healthz").status_code == 200  # probes are not counted
    time.sleep(1.1)
    assert client.get(path, headers=_bearer(first)).status_code == 200


def test_an_empty_rate_limit_turns_limiting_off(api: Callable[..., TestClient]) -> None:
    client = api(rate_limit="")
    assert {client.get("/stores/sh-01/stock").status_code for _ in range(30)} == {200}


ALLOWED_ORIGIN = "https://mp.example.com"


def _preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/formulate",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_cors_preflight_answers_only_configured_origins(api: Callable[..., TestClient]) -> None:
    client = api(cors_origins=[ALLOWED_ORIGIN, "https://admin.example.com"])
    allowed = _preflight(client, ALLOWED_ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in allowed.headers
    refused = _preflight(client, "https://evil.example.com")
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    # Refusals still reach an allowed page, so it can show why.
    unauthorised = client.get(
        "/skus/SKAAAAAAAAAAAA", headers={"Origin": ALLOWED_ORIGIN, "Authorization": ""}
    )
    assert unauthorised.status_code == 401
    assert unauthorised.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


def test_no_origin_is_allowed_by_default(client: TestClient) -> None:
    assert "access-control-allow-origin" not in _preflight(client, ALLOWED_ORIGIN).headers
    response = client.get("/stores/sh-01/stock", headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_origins_read_from_the_environment_as_a_comma_list(
    monkeypatch: pytest.MonkeyPatch, api: Callable[..., TestClient]
) -> None:
    monkeypatch.setenv("SKINLAB_CORS_ORIGINS", f"{ALLOWED_ORIGIN}, https://b.example.com")
    client = api()
    settings = client.app.state.settings  # type: ignore[attr-defined]
    assert settings.cors_origins == [ALLOWED_ORIGIN, "https://b.example.com"]


def test_a_body_over_the_limit_is_refused_before_the_key_is_checked(
    api: Callable[..., TestClient],
) -> None:
    client = api(role=None, max_body_bytes=2048)
    response = client.post(
        "/formulate",
        content=b"{" + b" " * 4096 + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "REQUEST_TOO_LARGE" and error["details"]["limit_bytes"] == 2048
    assert error["message_zh"] and "x-request-id" in response.headers


def test_a_chunked_body_is_cut_off_at_the_limit(api: Callable[..., TestClient]) -> None:
    client = api(max_body_bytes=2048)

    def chunks() -> Iterator[bytes]:
        yield b'{"concerns": ['
        for _ in range(200):
            yield b'"acne",' * 4

    response = client.post(
        "/formulate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "REQUEST_TOO_LARGE"


def test_photo_uploads_keep_their_larger_limit(
    api: Callable[..., TestClient], png_factory: Callable[..., bytes]
) -> None:
    client = api(max_body_bytes=2048)
    photo = png_factory(size=(256, 256))
    response = client.post(
        "/analyze",
        files={"image": ("face.png", photo + b"\0" * 4096, "image/png")},
        data={"consent": "true"},
    )
    assert response.status_code == 201, response.text


def _signed_in_tablet(client: TestClient, store_id: str = STORE) -> TestClient:
    with client.app.state.sessionmaker() as session:  # type: ignore[attr-defined]
        store_key = add_store_key(session, store_id)
        session.commit()
    response = client.post(
        "/ba/sign-in",
        data={"store_id": store_id, "store_key": store_key},
        follow_redirects=False,
    )
    assert response.status_code == 303
    return client


BA_HEADERS = {"X-Requested-With": "skinlab-ba"}


def test_a_signed_in_ba_tablet_is_its_store(api: Callable[..., TestClient]) -> None:
    client = _signed_in_tablet(api(role=None))
    assert client.get(f"/stores/{STORE}/stock", headers=BA_HEADERS).status_code == 200
    assert client.get("/users/wx_nobody/analyses", headers=BA_HEADERS).status_code == 404
    other = client.get(f"/stores/{OTHER_STORE}/stock", headers=BA_HEADERS)
    assert other.json()["error"]["code"] == "OTHER_STORE"
    # The cookie alone (a cross-site form could send one) is not enough.
    bare = client.get(f"/stores/{STORE}/stock")
    assert bare.json()["error"]["code"] == "API_KEY_REQUIRED"
    client.post("/ba/sign-out", follow_redirects=False)
    signed_out = client.get(f"/stores/{STORE}/stock", headers=BA_HEADERS)
    assert signed_out.json()["error"]["code"] == "API_KEY_REQUIRED"


def test_a_key_wins_over_a_ba_session(
    api: Callable[..., TestClient], key_factory: KeyFactory
) -> None:
    client = _signed_in_tablet(api(role=None))
    key = key_factory(client, "miniprogram")
    response = client.get(f"/stores/{STORE}/stock", headers={**BA_HEADERS, **_bearer(key)})
    assert response.json()["error"]["code"] == "FORBIDDEN_ROLE"


def test_the_access_log_names_the_key_id_never_the_key(
    api: Callable[..., TestClient], key_factory: KeyFactory, caplog: pytest.LogCaptureFixture
) -> None:
    client = api(role=None)
    key = key_factory(client, "store", store_id=STORE)
    with caplog.at_level(logging.INFO, logger="skinlab.access"):
        client.get(f"/stores/{STORE}/stock", headers=_bearer(key))
    (line,) = [r for r in caplog.records if r.name == "skinlab.access"]
    assert line.key_id == key.split("_")[1] and line.role == "store"  # type: ignore[attr-defined]
    assert key not in caplog.text


def test_each_ba_sign_in_has_its_own_rate_limit(api: Callable[..., TestClient]) -> None:
    client = _signed_in_tablet(api(role=None, rate_limit="2/minute"))
    path = f"/stores/{STORE}/stock"
    assert [client.get(path, headers=BA_HEADERS).status_code for _ in range(3)] == [200, 200, 429]
    _signed_in_tablet(client)  # another tablet of the same store (a new sign-in)
    assert client.get(path, headers=BA_HEADERS).status_code == 200
