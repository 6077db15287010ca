"""Formulation: solve a custom SKU for a person's needs, and look SKUs up."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from formulations.issue import issue_formula
from formulations.needs import FormulationNeeds
from formulations.problem import FormulationPolicy
from formulations.registry import SkuRecord, issuances_of
from serving.auth import Principal, require_area
from serving.deps import CatalogDep, SessionDep, SettingsDep
from serving.schemas import ErrorBody, FormulateResponse, SkuPublic, formulate_response
from skinlab.audit import principal_actor
from skinlab.errors import UnknownSku

router = APIRouter(tags=["formulation"], dependencies=[Depends(require_area("formulation"))])

Channel = Literal["api", "miniprogram", "ba_tablet"]
# The router's guard, asked for by name to learn who issues (FastAPI runs it once).
FormulationPrincipalDep = Annotated[Principal, Depends(require_area("formulation"))]
SkuCode = Annotated[str, Path(pattern=r"^SK[A-Z2-7]{10,16}$", description="SKU code")]


@router.post(
    "/formulate",
    status_code=201,
    responses={
        200: {"model": FormulateResponse, "description": "A preview (issue=false): nothing stored"},
        404: {"model": ErrorBody},
        422: {"model": ErrorBody},
    },
)
def create_formula(
    needs: FormulationNeeds,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    catalog: CatalogDep,
    principal: FormulationPrincipalDep,
    issue: Annotated[
        bool, Query(description="false: a preview; nothing is stored and the status is 200")
    ] = True,
    channel: Annotated[Channel, Query(description="who asks, recorded on the issuance")] = "api",
) -> FormulateResponse:
    """Solve, check and issue the best formula; the same needs always give the same SKU."""
    issued = issue_formula(
        session,
        catalog,
        needs,
        FormulationPolicy.from_settings(settings),
        source=channel,
        actor=principal_actor(principal.key_id),
        preview=not issue,
    )
    if issue:
        response.headers["Location"] = f"/skus/{issued.sku}"
    else:
        response.status_code = 200
    return formulate_response(issued)


@router.get("/skus/{code}", responses={404: {"model": ErrorBody}})
def get_sku(code: SkuCode, session: SessionDep) -> SkuPublic:
    """A SKU's formula as first issued, and how often it has been issued since."""
    record = session.get(SkuRecord, code)
    if record is None:
        raise UnknownSku(details={"code": code})
    issuances = issuances_of(session, code, limit=1000)
    return SkuPublic(
        code=record.code,
        created_at=record.created_at,
        catalog_version=record.catalog_version,
        issuances=len(issuances),
        formula=record.formula,
    )
