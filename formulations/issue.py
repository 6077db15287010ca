"""Issue a formula: solve it, register its SKU and record who it was issued to, in one step.

The API and the ``skinlab formulate`` command both go through ``issue_formula``, so they return
the same formula and SKU for the same needs and write the same records.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from data.records import ensure_user
from formulations.analysis_link import needs_with_analysis
from formulations.catalog import Catalog
from formulations.engine import Timings, formulate
from formulations.needs import FormulationNeeds
from formulations.problem import FormulationPolicy
from formulations.registry import record_issuance, register_sku, store_stock_outs
from formulations.result import Formula
from formulations.sku import formula_hash, normal_form
from skinlab.audit import AuditAction, record_audit


@dataclass(frozen=True)
class Issued:
    """A formula, its SKU (new or existing) and the issuance row written for it."""

    formula: Formula
    sku: str
    new_sku: bool | None  # None for a preview (nothing written)
    issuance_id: int | None
    timings: Timings


def issue_formula(
    session: Session,
    catalog: Catalog,
    needs: FormulationNeeds,
    policy: FormulationPolicy,
    *,
    source: str,
    actor: str,
    preview: bool = False,
) -> Issued:
    """Solve ``needs``, register the SKU and record the issuance (committed).

    With ``preview`` nothing is written: the formula and the SKU code it would have are
    returned, for proposals a BA adjusts before confirming. Raises the errors of
    ``needs_with_analysis`` and ``formulate``; nothing is written then either. ``actor``
    (``key:<key id>``, ``ba:...``, ``cli:<login>``) is written to the audit trail with the
    SKU and its versions, in the same transaction as the issuance.
    """
    filled, skin_model = needs_with_analysis(session, needs)
    if filled.store_id is not None:
        stock_outs = store_stock_outs(session, filled.store_id)
        if stock_outs:
            merged = sorted(set(filled.out_of_stock) | set(stock_outs))
            filled = filled.model_copy(update={"out_of_stock": merged})
    formula, timings = formulate(catalog, filled, policy, skin_model_version=skin_model)
    if preview:
        return Issued(formula, formula.sku, None, None, timings)
    if filled.user_id is not None:
        ensure_user(session, filled.user_id)  # a customer may get a formula before any photo
    normal = normal_form(
        formula.base.id,
        [m.id for m in formula.modules],
        formula.ph,
        {line.id: line.pct for line in formula.ingredients},
    )
    body = formula.model_dump(mode="json")
    record, created = register_sku(
        session, code=formula.sku, formula_hash=formula_hash(normal), formula=body
    )
    issuance = record_issuance(
        session,
        code=record.code,
        user_id=filled.user_id,
        analysis_id=filled.analysis_id,
        store_id=filled.store_id,
        source=source,
        bottle_ml=filled.bottle_ml,
        needs=filled.model_dump(mode="json", exclude={"out_of_stock"}),
        versions=body["versions"],
    )
    session.flush()  # assigns the issuance id the audit row names
    # No user id in the audit row: the trail is append-only and must survive an erasure.
    record_audit(
        session,
        AuditAction.SKU_ISSUED,
        actor=actor,
        subject=record.code,
        details={
            "issuance_id": issuance.id,
            "new_sku": created,
            "source": source,
            "store_id": filled.store_id,
            "versions": body["versions"],
        },
    )
    session.commit()
    return Issued(formula, record.code, created, issuance.id, timings)
