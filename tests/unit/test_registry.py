"""The SKU registry: one row per formula, collisions refused, safe under concurrent inserts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from formulations.catalog import load_catalog
from formulations.engine import formulate
from formulations.needs import FormulationNeeds
from formulations.problem import FormulationPolicy
from formulations.registry import (
    SkuCollision,
    SkuIssuanceRecord,
    SkuRecord,
    count_skus,
    issuances_of,
    record_issuance,
    register_sku,
)
from formulations.sku import CODE_CHARS, code_for, formula_hash, normal_form
from skinlab.db import make_engine, make_sessionmaker, upgrade_database
from skinlab.settings import Settings

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_catalog"
THREADS = 8


@pytest.fixture(scope="module")
def formula_factory() -> Callable[..., dict[str, Any]]:
    """Solve ``scores`` on the mini catalog; returns the formula as the API serialises it."""
    catalog = load_catalog(MINI)
    solved: dict[str, dict[str, Any]] = {}

    def make(**scores: float) -> dict[str, Any]:
        key = repr(sorted(scores.items()))
        if key not in solved:
            formula, _ = formulate(catalog, FormulationNeeds(scores=scores), FormulationPolicy())
            solved[key] = formula.model_dump(mode="json")
        return solved[key]

    return make


@pytest.fixture
def sessions(settings_factory: Callable[..., Settings]) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated SQLite file in the test's folder."""
    settings = settings_factory()
    upgrade_database(settings)
    engine = make_engine(settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _hash_of(formula: dict[str, Any]) -> str:
    composition = {line["id"]: line["pct"] for line in formula["ingredients"]}
    modules = [m["id"] for m in formula["modules"]]
    return formula_hash(normal_form(formula["base"]["id"], modules, formula["ph"], composition))


def _register(session: Session, formula: dict[str, Any], code: str | None = None) -> bool:
    _, created = register_sku(
        session, code=code or formula["sku"], formula_hash=_hash_of(formula), formula=formula
    )
    return created


def _issue(session: Session, code: str) -> None:
    record_issuance(
        session,
        code=code,
        user_id=None,
        analysis_id=None,
        store_id="store_1",
        source="api",
        bottle_ml=50,
        needs={"scores": {"spots": 60.0}},
        versions={"catalog": "test"},
    )


def test_the_same_formula_twice_is_one_sku(
    sessions: sessionmaker[Session], formula_factory: Callable[..., dict[str, Any]]
) -> None:
    formula = formula_factory(spots=60)
    with sessions() as session:
        assert _register(session, formula) is True
        session.commit()
    with sessions() as session:
        assert _register(session, formula) is False
        session.commit()
        assert count_skus(session) == 1
        record = session.get(SkuRecord, formula["sku"])
        assert record is not None
        assert record.formula == formula
        assert record.module_ids == [m["id"] for m in formula["modules"]]
        assert record.catalog_version == formula["versions"]["catalog"]


def test_a_different_formula_under_an_existing_code_is_a_collision(
    sessions: sessionmaker[Session], formula_factory: Callable[..., dict[str, Any]]
) -> None:
    first, other = formula_factory(spots=60), formula_factory(wrinkles=70, acne=50)
    assert _hash_of(first) != _hash_of(other)
    with sessions() as session:
        _register(session, first)
        session.commit()
    with sessions() as session, pytest.raises(SkuCollision) as caught:
        _register(session, other, code=first["sku"])
    assert caught.value.code == "SKU_COLLISION"
    assert caught.value.details == {"code": first["sku"]}
    with sessions() as session:
        record = session.get(SkuRecord, first["sku"])
        assert record is not None and record.formula == first


def test_concurrent_identical_registrations_make_one_sku_and_every_issuance(
    sessions: sessionmaker[Session], formula_factory: Callable[..., dict[str, Any]]
) -> None:
    formula = formula_factory(spots=60)
    start = threading.Barrier(THREADS)

    def register_and_issue(_: int) -> bool:
        with sessions() as session:
            start.wait(timeout=10)
            created = _register(session, formula)
            _issue(session, formula["sku"])
            session.commit()
            return created

    with ThreadPoolExecutor(THREADS) as pool:
        created = list(pool.map(register_and_issue, range(THREADS)))
    assert created.count(True) == 1
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(SkuRecord)) == 1
        issued = session.scalar(select(func.count()).select_from(SkuIssuanceRecord))
        assert issued == THREADS
        assert len(issuances_of(session, formula["sku"])) == THREADS


def test_sku_codes_are_deterministic_and_order_free() -> None:
    composition = {"water": 80.0, "glycerin": 4.5, "niacinamide": 4.0}
    normal = normal_form("serum_gel", ["b.aqueous", "a.oil"], 5.5, composition)
    reordered = normal_form(
        "serum_gel",
        ["a.oil", "b.aqueous"],
        5.5000001,
        {"niacinamide": 4.00000001, "glycerin": 4.5, "water": 80.0, "trace": 1e-6},
    )
    assert reordered == normal
    assert code_for(normal) == code_for(reordered)
    assert code_for(normal).startswith("SK")
    assert len(code_for(normal)) == 2 + CODE_CHARS
    assert set(code_for(normal)[2:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert formula_hash(normal) == formula_hash(reordered)


@pytest.mark.parametrize(
    "change",
    [
        {"base_id": "cream_basic"},
        {"module_ids": ["a.oil"]},
        {"ph": 5.6},
        {"composition": {"water": 80.0, "glycerin": 4.5, "niacinamide": 4.1}},
    ],
)
def test_any_change_to_the_recipe_changes_the_code(change: dict[str, Any]) -> None:
    recipe: dict[str, Any] = {
        "base_id": "serum_gel",
        "module_ids": ["b.aqueous", "a.oil"],
        "ph": 5.5,
        "composition": {"water": 80.0, "glycerin": 4.5, "niacinamide": 4.0},
    }
    assert code_for(normal_form(**recipe)) != code_for(normal_form(**{**recipe, **change}))


def test_the_engine_gives_the_same_code_for_the_same_needs(
    formula_factory: Callable[..., dict[str, Any]],
) -> None:
    catalog = load_catalog(MINI)
    again, _ = formulate(catalog, FormulationNeeds(scores={"spots": 60}), FormulationPolicy())
    first = formula_factory(spots=60)
    assert again.sku == first["sku"]
    composition = {line.id: line.pct for line in again.ingredients}
    normal = normal_form(again.base.id, [m.id for m in again.modules], again.ph, composition)
    assert code_for(normal) == again.sku
