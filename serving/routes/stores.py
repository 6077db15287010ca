"""Stores: each spa's stock-out list, which every formula for that store respects."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from formulations.problem import check_module_ids
from formulations.registry import set_store_stock_outs, store_stock_outs
from serving.auth import require_area
from serving.deps import CatalogDep, SessionDep
from serving.schemas import ErrorBody

router = APIRouter(
    prefix="/stores", tags=["formulation"], dependencies=[Depends(require_area("stock"))]
)

StoreId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:-]{1,64}$", description="Store id")]


class StockOuts(BaseModel):
    """The modules a store cannot compound today (replaces the previous list)."""

    out_of_stock: list[str] = Field(max_length=2000)


@router.get("/{store_id}/stock")
def get_stock(store_id: StoreId, session: SessionDep) -> StockOuts:
    """The store's current stock-out list (empty when none was set)."""
    return StockOuts(out_of_stock=store_stock_outs(session, store_id))


@router.put("/{store_id}/stock", responses={422: {"model": ErrorBody}})
def put_stock(
    store_id: StoreId, body: StockOuts, session: SessionDep, catalog: CatalogDep
) -> StockOuts:
    """Replace the store's stock-out list; every module id must be in the catalog."""
    check_module_ids(catalog, body.out_of_stock)
    record = set_store_stock_outs(session, store_id, body.out_of_stock)
    session.commit()
    return StockOuts(out_of_stock=record.out_of_stock)
