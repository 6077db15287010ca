"""Who is calling, and may they: API keys with roles, and the BA page's signed-in store.

Every router but health's declares the area it belongs to, and ``ROLE_MATRIX`` (the one table
of who may call what) lists the roles allowed in each area::

    router = APIRouter(dependencies=[Depends(require_area("analyses"))])

A client sends its key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>`` (WeChat's
``wx.request`` can set either). The BA page sends no key: a tablet signed in at ``/ba/sign-in``
is a ``store`` principal for its store, recognised by the signed session cookie plus the
``X-Requested-With: skinlab-ba`` header its scripts add (a header a cross-site form cannot send,
so the cookie alone never authorises a request).

Store keys are scoped to their store: in a store-scoped area (``STORE_SCOPED_AREAS``) a
``store_id`` in the path or the query must be the key's own store, else 403 ``OTHER_STORE``.
A store id that arrives in a JSON body is the route's to check, with
``principal.require_store(body.store_id)``.

``POST /rank`` and ``GET /users/{id}/profile`` take ``principal: RankPrincipalDep`` (the
``ranking`` area: store keys, data scientists, admins): ``/rank`` filters with
``principal.store_filter(body.store_id)`` (a store sees its own customers only) and a profile
checks ``principal.require_store(home_store)``. Model management (promotion, reload) uses
``ModelsPrincipalDep`` or ``require_area("models")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Final, cast

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from serving.deps import SessionDep
from serving.rate_limit import KeyRateLimiter
from skinlab.api_keys import Role, find_active_key
from skinlab.errors import SkinlabError

API_KEY_HEADER = "X-API-Key"
BA_PAGE_HEADER = "X-Requested-With"
BA_PAGE_HEADER_VALUE = "skinlab-ba"
# The BA page's session keys (serving/ba/routes.py writes them): the signed-in store, and a
# random id per sign-in that names the tablet's principal (``ba:<store>:<id>``).
BA_SESSION_STORE = "store_id"
BA_SESSION_ID = "sign_in_id"

_CUSTOMER_FACING: Final = frozenset({Role.MINIPROGRAM, Role.STORE, Role.ADMIN})

# Who may call what. Areas name routers; a test calls every route with every role.
ROLE_MATRIX: Final[Mapping[str, frozenset[Role]]] = {
    # POST /analyze, GET and DELETE /analyses/{id}
    "analyses": _CUSTOMER_FACING,
    # POST /formulate, GET /skus/{code}
    "formulation": _CUSTOMER_FACING,
    # GET /users/{id}/analyses, DELETE /users/{id}
    "users": _CUSTOMER_FACING,
    # GET and PUT /stores/{store_id}/stock
    "stock": frozenset({Role.STORE, Role.ADMIN}),
    # POST /rank, GET /users/{id}/profile
    "ranking": frozenset({Role.STORE, Role.DATA_SCIENTIST, Role.ADMIN}),
    # model promotion and reload (to come)
    "models": frozenset({Role.DATA_SCIENTIST, Role.ADMIN}),
    # GET /metrics, unless SKINLAB_METRICS_PUBLIC (serving/metrics.py)
    "metrics": frozenset({Role.DATA_SCIENTIST, Role.ADMIN}),
}
STORE_SCOPED_AREAS: Final = frozenset({"stock", "ranking"})


class ApiKeyRequired(SkinlabError):
    status = 401
    code = "API_KEY_REQUIRED"
    message = "This endpoint needs an API key."
    message_zh = "此接口需要 API 密钥。"
    hint = "Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
    hint_zh = "请通过 'Authorization: Bearer <密钥>' 或 'X-API-Key: <密钥>' 请求头发送密钥。"

    def __init__(self) -> None:
        super().__init__()
        self.response_headers = {"WWW-Authenticate": "Bearer"}


class InvalidApiKey(SkinlabError):
    status = 401
    code = "INVALID_API_KEY"
    message = "This API key is unknown or has been revoked."
    message_zh = "API 密钥无效或已被吊销。"
    hint = "Check the key, or ask for a new one."
    hint_zh = "请检查密钥，或申请新的密钥。"

    def __init__(self) -> None:
        super().__init__()
        self.response_headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class ForbiddenRole(SkinlabError):
    status = 403
    code = "FORBIDDEN_ROLE"
    message = "This API key's role may not call this endpoint."
    message_zh = "该 API 密钥的角色无权调用此接口。"
    hint = "details.allowed_roles lists the roles that may."
    hint_zh = "details.allowed_roles 列出了有权限的角色。"


class OtherStore(SkinlabError):
    status = 403
    code = "OTHER_STORE"
    message = "A store's key may only reach that store's data."
    message_zh = "门店密钥只能访问本门店的数据。"


@dataclass(frozen=True)
class Principal:
    """The caller: a key's id (``ba:<store>:<sign-in>`` for a BA tablet), role and store."""

    key_id: str
    role: Role
    store_id: str | None = None

    def require_store(self, store_id: str | None) -> None:
        """Raise 403 ``OTHER_STORE`` if this is a store principal and ``store_id`` is not its
        store (``None``, "no store", is not its store either)."""
        if self.role is Role.STORE and store_id != self.store_id:
            raise OtherStore(details={"store_id": store_id})

    def store_filter(self, store_id: str | None) -> str | None:
        """The store a query may cover: a store principal's own (asked for or not), else
        ``store_id`` as asked (``None``: every store)."""
        if self.role is not Role.STORE:
            return store_id
        self.require_store(store_id if store_id is not None else self.store_id)
        return self.store_id


# auto_error=False: missing credentials are ours to report, in our error shape. These two only
# read the headers and put the schemes in the OpenAPI document ("Authorize" in /docs).
_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <key>")
_api_key_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)


def get_principal(
    request: Request,
    session: SessionDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    """The authenticated caller, charged one request; 401 without a valid key, 429 over limit."""
    key = bearer.credentials if bearer is not None else api_key
    principal: Principal | None
    if key:
        record = find_active_key(session, key.strip())
        if record is None:
            raise InvalidApiKey()
        principal = Principal(record.key_id, Role(record.role), record.store_id)
    else:
        principal = _ba_page_principal(request)
    if principal is None:
        raise ApiKeyRequired()
    cast(KeyRateLimiter, request.app.state.rate_limiter).charge(principal.key_id)
    request.state.principal = principal
    return principal


def _ba_page_principal(request: Request) -> Principal | None:
    """The store principal of a signed-in BA tablet, if the BA page's scripts sent this."""
    if request.headers.get(BA_PAGE_HEADER) != BA_PAGE_HEADER_VALUE:
        return None
    session = request.scope.get("session") or {}
    store, sign_in = session.get(BA_SESSION_STORE), session.get(BA_SESSION_ID)
    if not isinstance(store, str):
        return None
    key_id = f"ba:{store}:{sign_in}" if isinstance(sign_in, str) else f"ba:{store}"
    return Principal(key_id, Role.STORE, store)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class AreaGuard:
    """A dependency admitting the roles ``ROLE_MATRIX`` lists for ``area`` (see the module)."""

    def __init__(self, area: str) -> None:
        if area not in ROLE_MATRIX:
            raise ValueError(f"area must be one of {', '.join(ROLE_MATRIX)}")
        self.area = area
        self.roles = ROLE_MATRIX[area]

    def __call__(self, request: Request, principal: PrincipalDep) -> Principal:
        if principal.role not in self.roles:
            raise ForbiddenRole(
                details={"role": principal.role, "allowed_roles": sorted(self.roles)}
            )
        if self.area in STORE_SCOPED_AREAS:
            store = request.path_params.get("store_id") or request.query_params.get("store_id")
            if store is not None:
                principal.require_store(str(store))
        return principal


_GUARDS: Final = {area: AreaGuard(area) for area in ROLE_MATRIX}


def require_area(area: str) -> AreaGuard:
    """The dependency for ``area``; one shared instance per area, so FastAPI runs it once."""
    try:
        return _GUARDS[area]
    except KeyError:
        raise ValueError(f"area must be one of {', '.join(ROLE_MATRIX)}") from None


RankPrincipalDep = Annotated[Principal, Depends(require_area("ranking"))]
ModelsPrincipalDep = Annotated[Principal, Depends(require_area("models"))]
