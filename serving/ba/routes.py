"""The BA page's routes: sign-in per store, the page itself, and phone numbers to user ids.

Everything else the page does goes through the public JSON API with ``fetch()``, where the
signed-in session counts as a ``store`` key for its store (``serving/auth.py``).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field

from data.records import USER_ID_RULE, is_valid_user_id
from serving.auth import BA_SESSION_ID, BA_SESSION_STORE
from serving.ba.card_levels import cutoffs_for
from serving.ba.labels import (
    BOTTLE_SIZES,
    CONCERN_KEYS,
    CONTACT_OUTCOMES,
    PRODUCT_TYPES,
    VALUE_KEYS,
    Lang,
    all_labels,
    labels_for,
    parse_lang,
)
from serving.deps import CatalogDep, RankingStateDep, SessionDep, SettingsDep
from skinlab.errors import InvalidInput, SkinlabError
from skinlab.phone_ids import phone_user_id
from skinlab.store_keys import verify_store_key

router = APIRouter(prefix="/ba", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

SIGN_IN_PATH = "/ba/sign-in"
PAGE_PATH = "/ba/"
_STORE = BA_SESSION_STORE


class SignInRequired(SkinlabError):
    status = 401
    code = "SIGN_IN_REQUIRED"
    message = "Sign in to the BA page first."
    message_zh = "请先登录门店账号。"


class CustomerLookup(BaseModel):
    """A phone number or a pseudonymous customer id (one of them)."""

    phone: str | None = Field(default=None, max_length=32)
    user_id: str | None = Field(default=None, max_length=64)


class CustomerId(BaseModel):
    user_id: str
    from_phone: bool


def _signed_in_store(request: Request) -> str | None:
    store = request.session.get(_STORE)
    return store if isinstance(store, str) else None


def _render(
    request: Request, template: str, lang: Lang, status: int = 200, **extra: Any
) -> Response:
    context = {"lang": lang, "t": labels_for(lang), **extra}
    return templates.TemplateResponse(request, template, context, status_code=status)


@router.get("/", response_class=HTMLResponse)
def ba_page(
    request: Request, catalog: CatalogDep, ranking: RankingStateDep, lang: str | None = None
) -> Response:
    """The consultation page; sends a signed-out tablet to the sign-in form."""
    store = _signed_in_store(request)
    if store is None:
        return RedirectResponse(SIGN_IN_PATH, status_code=303)
    cutoffs = cutoffs_for(ranking)
    bases = [
        {"id": b.id, "name": b.name, "name_zh": b.name_zh, "product_type": b.product_type}
        for b in sorted(catalog.bases.values(), key=lambda b: b.id)
    ]
    return _render(
        request,
        "page.html",
        parse_lang(lang),
        store_id=store,
        labels=all_labels(),
        concerns=CONCERN_KEYS,
        product_types=PRODUCT_TYPES,
        bottle_sizes=BOTTLE_SIZES,
        bases=bases,
        card_cutoffs=cutoffs.as_json() if cutoffs else None,
        contact_outcomes=CONTACT_OUTCOMES,
        value_keys=VALUE_KEYS,
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, lang: str | None = None) -> Response:
    """The store sign-in form."""
    return _render(request, "sign_in.html", parse_lang(lang), labels=all_labels(), failed=False)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    session: SessionDep,
    store_id: Annotated[str, Form(max_length=64)],
    store_key: Annotated[str, Form(max_length=200)],
    lang: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the store key; on success remember the store in the signed session cookie."""
    store_id = store_id.strip()
    if not verify_store_key(session, store_id, store_key.strip()):
        return _render(
            request,
            "sign_in.html",
            parse_lang(lang),
            status=401,
            labels=all_labels(),
            failed=True,
            store_id=store_id,
        )
    request.session.clear()
    request.session[_STORE] = store_id
    # Names this tablet's sign-in, so each tablet has its own rate limit (serving/auth.py).
    request.session[BA_SESSION_ID] = secrets.token_hex(6)
    return RedirectResponse(PAGE_PATH, status_code=303)


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    """Forget the store on this tablet."""
    request.session.clear()
    return RedirectResponse(SIGN_IN_PATH, status_code=303)


@router.post("/customers")
def customer_id(request: Request, body: CustomerLookup, settings: SettingsDep) -> CustomerId:
    """The user id for a phone number (a keyed hash; the number is not kept) or a given id."""
    if _signed_in_store(request) is None:
        raise SignInRequired()
    if body.phone and body.phone.strip():
        assert settings.phone_id_secret is not None  # filled in by Settings
        user_id = phone_user_id(body.phone, settings.phone_id_secret.get_secret_value())
        return CustomerId(user_id=user_id, from_phone=True)
    if body.user_id and is_valid_user_id(body.user_id.strip()):
        return CustomerId(user_id=body.user_id.strip(), from_phone=False)
    raise InvalidInput(
        USER_ID_RULE,
        message_zh="请输入手机号，或由字母、数字和 _ . : - 组成的顾客编号（不能是手机号）。",
        code="INVALID_CUSTOMER",
    )
