"""The SKU registry: every distinct formula once, and every time one was issued.

A SKU row is written once, with the first formula solved for it, and never changed; the code is
derived from the formula (``formulations.sku``), so concurrent identical requests race to insert
the same primary key and all but one insert do nothing (``INSERT ... ON CONFLICT DO NOTHING``).
Issuances record who asked, for which analysis and with which versions. Erasing a user keeps the
issuance (an audit of what was compounded) but removes the link to the person and their needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from data.records import USER_ID_MAX_LENGTH
from skinlab.db import Base, UTCDateTime, utcnow
from skinlab.errors import SkinlabError


class SkuCollision(SkinlabError):
    """Two formulas hashed to one code (odds ~2e-7 at 20,000 SKUs): refuse, never merge."""

    status = 500
    code = "SKU_COLLISION"
    message = "SKU code collision; the formula was not issued."
    message_zh = "SKU编码冲突，配方未出单。"


class SkuRecord(Base):
    """One distinct formula."""

    __tablename__ = "skus"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    formula_hash: Mapped[str] = mapped_column(String(64), unique=True)
    base_id: Mapped[str] = mapped_column(String(64))
    module_ids: Mapped[list[str]] = mapped_column(JSON)
    ph: Mapped[float] = mapped_column(Float)
    product_type: Mapped[str] = mapped_column(String(32))
    formula: Mapped[dict[str, Any]] = mapped_column(JSON, doc="the Formula as first issued")
    catalog_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SkuIssuanceRecord(Base):
    """One issuance of a SKU: who, when, for which analysis, with which versions."""

    __tablename__ = "sku_issuances"
    __table_args__ = (Index("ix_sku_issuances_user_id_issued_at", "user_id", "issued_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sku_code: Mapped[str] = mapped_column(String(16), ForeignKey("skus.code"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[str | None] = mapped_column(
        String(USER_ID_MAX_LENGTH), ForeignKey("users.user_id", ondelete="SET NULL"), nullable=True
    )
    analysis_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("analyses.id", ondelete="SET NULL"), nullable=True
    )
    store_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(String(32), doc="api, cli or ba_tablet")
    bottle_ml: Mapped[int] = mapped_column(Integer)
    needs: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    versions: Mapped[dict[str, Any]] = mapped_column(JSON)


class StoreStockRecord(Base):
    """A store's current stock-outs: modules its spa cannot compound today."""

    __tablename__ = "store_stock"

    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    out_of_stock: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def store_stock_outs(session: Session, store_id: str) -> list[str]:
    """The modules a store has marked out of stock (empty for an unknown store)."""
    record = session.get(StoreStockRecord, store_id)
    return list(record.out_of_stock) if record else []


def set_store_stock_outs(
    session: Session, store_id: str, module_ids: list[str]
) -> StoreStockRecord:
    """Replace a store's stock-out list (uncommitted)."""
    record = session.get(StoreStockRecord, store_id)
    if record is None:
        record = StoreStockRecord(store_id=store_id)
        session.add(record)
    record.out_of_stock = sorted(set(module_ids))
    record.updated_at = utcnow()
    return record


def register_sku(
    session: Session, *, code: str, formula_hash: str, formula: dict[str, Any]
) -> tuple[SkuRecord, bool]:
    """Insert the SKU if new; return it and whether this call created it.

    Raises
    ------
    SkuCollision
        The code exists for a different formula.
    """
    values = {
        "code": code,
        "formula_hash": formula_hash,
        "base_id": formula["base"]["id"],
        "module_ids": [m["id"] for m in formula["modules"]],
        "ph": formula["ph"],
        "product_type": formula["product_type"],
        "formula": formula,
        "catalog_version": formula["versions"]["catalog"],
        "created_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(SkuRecord).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for this INSERT under SQLAlchemy 2.1
    created = session.execute(statement.returning(SkuRecord.code)).first() is not None
    record = session.get(SkuRecord, code, populate_existing=True)
    if record is None or record.formula_hash != formula_hash:
        raise SkuCollision(details={"code": code})
    return record, created


def record_issuance(
    session: Session,
    *,
    code: str,
    user_id: str | None,
    analysis_id: str | None,
    store_id: str | None,
    source: str,
    bottle_ml: int,
    needs: dict[str, Any],
    versions: dict[str, Any],
) -> SkuIssuanceRecord:
    """Add (uncommitted) one issuance row."""
    issuance = SkuIssuanceRecord(
        sku_code=code,
        issued_at=utcnow(),
        user_id=user_id,
        analysis_id=analysis_id,
        store_id=store_id,
        source=source,
        bottle_ml=bottle_ml,
        needs=needs,
        versions=versions,
    )
    session.add(issuance)
    return issuance


def issuances_of(session: Session, code: str, *, limit: int = 100) -> list[SkuIssuanceRecord]:
    """The newest issuances of a SKU."""
    query = (
        select(SkuIssuanceRecord)
        .where(SkuIssuanceRecord.sku_code == code)
        .order_by(SkuIssuanceRecord.issued_at.desc(), SkuIssuanceRecord.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def count_skus(session: Session) -> int:
    """How many distinct SKUs exist."""
    return session.scalar(select(func.count()).select_from(SkuRecord)) or 0


def forget_user_needs(session: Session, user_id: str) -> int:
    """Before erasing a user: drop the needs (their skin scores) from their issuances."""
    result = session.execute(
        update(SkuIssuanceRecord).where(SkuIssuanceRecord.user_id == user_id).values(needs=None)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
