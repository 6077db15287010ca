"""The five value dimensions: known answers on hand-made tables, no leakage, percentile rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from data.events import TABLES
from data.simulation_config import SimulationConfig
from data.simulator import simulate
from models.value_score import DIMENSIONS, MEASURES, TOTAL_WEIGHTS, WEIGHTS, value_scores
from skinlab.errors import InvalidInput

AS_OF = datetime(2025, 6, 1)
Tables = dict[str, pa.Table]


def _at(days_before: float) -> datetime:
    return AS_OF - timedelta(days=days_before)


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """A table of the event contract from row dicts (missing optional columns take the default)."""
    spec = TABLES[name]
    types = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    columns = {}
    for column in spec.columns:
        kind = pa.timestamp("s") if column.dtype == "timestamp" else types[column.dtype]
        columns[column.name] = pa.array(
            [row.get(column.name, column.default) for row in rows], kind
        )
    return pa.table(columns)


def _get(values: pd.DataFrame, user: str, column: str) -> float:
    """One score as a float (``.loc`` scalars are untyped)."""
    return float(values[column].to_numpy(np.float64)[values.index.get_loc(user)])


def _row(values: pd.DataFrame, user: str, columns: list[str]) -> list[float]:
    return [_get(values, user, column) for column in columns]


@pytest.fixture
def brand() -> Callable[..., Tables]:
    """Builds tables for users ``u1``..``u4`` (joined a year ago) plus the given event rows."""

    def build(**events: list[dict[str, Any]]) -> Tables:
        users = [{"user_id": f"u{i}", "joined_at": _at(400)} for i in range(1, 5)]
        tables = {"users": _table("users", users)}
        tables.update({name: _table(name, rows) for name, rows in events.items()})
        return tables

    return build


def _messages(user: str, n: int, days_before: float = 10) -> dict[str, Any]:
    return {"user_id": user, "occurred_at": _at(days_before), "kind": "message", "count": n}


def _order(user: str, amount: float, days_before: float = 10) -> dict[str, Any]:
    return {"user_id": user, "ordered_at": _at(days_before), "amount": amount}


def test_columns_are_the_dimensions_the_total_and_the_measures(
    brand: Callable[..., Tables],
) -> None:
    values = value_scores(brand(), AS_OF)
    assert list(values.columns) == [*DIMENSIONS, "total", *MEASURES]
    assert list(values.index) == ["u1", "u2", "u3", "u4"] and values.index.name == "user_id"
    assert (values.dtypes == np.float64).all()


def test_weights_sum_to_one_and_name_only_measures() -> None:
    assert set(WEIGHTS) == set(DIMENSIONS) == set(TOTAL_WEIGHTS)
    assert sum(TOTAL_WEIGHTS.values()) == pytest.approx(1.0)
    for weights in WEIGHTS.values():
        assert sum(weights.values()) == pytest.approx(1.0)
        assert set(weights) <= set(MEASURES)


def test_twice_the_messages_ranks_higher_and_silence_scores_zero(
    brand: Callable[..., Tables],
) -> None:
    values = value_scores(
        brand(community_activity=[_messages("u1", 5), _messages("u2", 10), _messages("u3", 10)]),
        AS_OF,
    )
    assert _get(values, "u2", "speech") > _get(values, "u1", "speech") > 0
    assert (
        _get(values, "u2", "speech") == _get(values, "u3", "speech") == 100.0
    )  # ties share the top
    assert _get(values, "u1", "speech") == pytest.approx(100 / 3)
    assert values.loc["u4", [*DIMENSIONS, "total"]].eq(0).all()
    assert _get(values, "u2", "messages") == 10


def test_an_inactive_majority_does_not_lift_the_active(brand: Callable[..., Tables]) -> None:
    """One buyer among four users is the top buyer (100), not the 75th percentile."""
    values = value_scores(brand(orders=[_order("u1", 50.0)]), AS_OF)
    assert _get(values, "u1", "consumption") == 100.0
    assert (values.loc[["u2", "u3", "u4"], "consumption"] == 0).all()


def test_rows_at_or_after_as_of_and_before_the_window_are_ignored(
    brand: Callable[..., Tables],
) -> None:
    earned = {"kind": "earned", "points": 10, "tasks_completed": 1}
    past: dict[str, list[dict[str, Any]]] = {
        "orders": [_order("u1", 100.0), _order("u2", 300.0), _order("u4", 50.0)],
        "community_activity": [_messages("u1", 3)],
        "content": [{"user_id": "u2", "occurred_at": _at(5), "action": "post"}],
        "energy_points": [{"user_id": "u1", "occurred_at": _at(5), **earned}],
        "invites": [],
        "skin_tests": [{"user_id": "u2", "tested_at": _at(5)}],
    }
    later: dict[str, list[dict[str, Any]]] = {
        "orders": [_order("u1", 9999.0, 0), _order("u1", 9999.0, -5), _order("u3", 9.0, 400)],
        "community_activity": [_messages("u2", 50, 0), _messages("u3", 50, 366)],
        "content": [{"user_id": "u1", "occurred_at": _at(-1), "action": "post"}],
        "energy_points": [{"user_id": "u3", "occurred_at": AS_OF, **earned}],
        # an invitation after as_of must not credit u3 with u4's earlier order
        "invites": [{"inviter_id": "u3", "invitee_id": "u4", "invited_at": _at(-2)}],
        "skin_tests": [{"user_id": "u3", "tested_at": AS_OF}],
    }
    clean = value_scores(brand(**past), AS_OF)
    leaked = value_scores(brand(**{k: past[k] + later[k] for k in past}), AS_OF)
    pd.testing.assert_frame_equal(clean, leaked)
    assert _get(value_scores(brand(**past), AS_OF, window_days=5), "u1", "spend") == 0


def test_users_who_join_after_as_of_are_not_scored(brand: Callable[..., Tables]) -> None:
    tables = brand()
    late = _table("users", [{"user_id": "u9", "joined_at": AS_OF}])
    tables["users"] = pa.concat_tables([tables["users"], late])
    assert "u9" not in value_scores(tables, AS_OF).index


def test_scores_do_not_depend_on_who_else_is_asked_for(brand: Callable[..., Tables]) -> None:
    tables = brand(
        orders=[_order("u1", 100.0), _order("u2", 300.0), _order("u3", 50.0), _order("x", 80.0)]
    )
    everyone = value_scores(tables, AS_OF)
    asked = value_scores(tables, AS_OF, ["u3", "nobody", "u1", "u3"])
    assert list(asked.index) == ["u3", "nobody", "u1", "u3"]
    pd.testing.assert_frame_equal(asked.loc[["u1"]], everyone.loc[["u1"]])
    assert _get(asked, "nobody", "total") == 0
    alone = value_scores(tables, AS_OF, pa.array(["x"]))
    # x is not in the users table: scored against its three buyers (above u3 only), moving none
    assert _get(alone, "x", "spend") == 80
    assert _get(alone, "x", "consumption") == pytest.approx(100 / 3)
    pd.testing.assert_frame_equal(value_scores(tables, AS_OF, ["u2"]), everyone.loc[["u2"]])


def test_consumption_combines_spend_orders_and_order_value(brand: Callable[..., Tables]) -> None:
    orders = [_order("u1", 100.0), _order("u1", 100.0), _order("u2", 200.0), _order("u3", 20.0)]
    values = value_scores(brand(orders=orders), AS_OF)
    assert _row(values, "u1", ["spend", "orders", "avg_order_value"]) == [200, 2, 100]
    # u1 and u2 spent the same; u1 came twice, u2 bought bigger: the spend-weighted tie holds
    assert _get(values, "u1", "consumption") == _get(values, "u2", "consumption") == 100.0
    assert _get(values, "u3", "consumption") < _get(values, "u1", "consumption")


def test_invitees_orders_count_for_the_inviter_from_the_invitation_on(
    brand: Callable[..., Tables],
) -> None:
    invites = [
        {"inviter_id": "u1", "invitee_id": "u2", "invited_at": _at(500)},
        {"inviter_id": "u3", "invitee_id": "u4", "invited_at": _at(30)},
    ]
    orders = [_order("u2", 100.0), _order("u2", 50.0), _order("u4", 80.0, 60), _order("u4", 20.0)]
    values = value_scores(brand(invites=invites, orders=orders), AS_OF)
    assert _row(values, "u1", ["invites", "invitee_orders", "invitee_spend"]) == [0, 2, 150]
    assert _row(values, "u3", ["invites", "invitee_orders", "invitee_spend"]) == [1, 1, 20]
    assert _get(values, "u1", "fission") > 0 and _get(values, "u3", "fission") > 0
    assert _get(values, "u2", "fission") == 0


def test_participation_weights_aggregated_rows_by_count(brand: Callable[..., Tables]) -> None:
    activity = [
        {"user_id": "u1", "occurred_at": _at(7), "kind": "sign_in", "count": 7},
        {"user_id": "u2", "occurred_at": _at(7), "kind": "sign_in"},
        {"user_id": "u2", "occurred_at": _at(7), "kind": "survey"},
    ]
    energy = [
        {
            "user_id": "u1",
            "occurred_at": _at(7),
            "kind": "earned",
            "points": 35,
            "tasks_completed": 7,
        },
        {"user_id": "u1", "occurred_at": _at(3), "kind": "redeemed", "points": 30},
    ]
    values = value_scores(brand(community_activity=activity, energy_points=energy), AS_OF)
    assert _row(values, "u1", ["sign_ins", "energy_earned", "tasks"]) == [7, 35, 7]
    assert _row(values, "u2", ["sign_ins", "surveys"]) == [1, 1]
    assert _get(values, "u1", "participation") > _get(values, "u2", "participation") > 0


def test_posts_weigh_more_than_forwards(brand: Callable[..., Tables]) -> None:
    content = [
        {"user_id": "u1", "occurred_at": _at(3), "action": "post"},
        {"user_id": "u2", "occurred_at": _at(3), "action": "forward"},
    ]
    values = value_scores(brand(content=content), AS_OF)
    assert _get(values, "u1", "content") > _get(values, "u2", "content") > 0


def test_skin_tests_and_store_services_are_counted(brand: Callable[..., Tables]) -> None:
    visits = [
        {"user_id": "u1", "visited_at": _at(9), "store_id": "s1", "service": "facial"},
        {"user_id": "u1", "visited_at": _at(8), "store_id": "s1", "service": "pickup"},
    ]
    tests = [{"user_id": "u1", "tested_at": _at(9), "channel": "store"}]
    values = value_scores(brand(store_visits=visits, skin_tests=tests), AS_OF)
    assert _row(values, "u1", ["skin_tests", "store_services"]) == [1, 1]
    assert _get(values, "u1", "total") == 0  # experiences feed the segments, not a dimension


def test_orders_alone_are_enough() -> None:
    orders = _table("orders", [_order("a", 10.0), _order("b", 30.0), _order("c", 5.0, -1)])
    values = value_scores({"orders": orders}, AS_OF)
    assert list(values.index) == ["a", "b"]
    assert _get(values, "b", "consumption") == 100.0


@pytest.mark.parametrize("days", [0, -30])
def test_a_window_that_is_not_positive_is_refused(brand: Callable[..., Tables], days: int) -> None:
    with pytest.raises(InvalidInput, match="window_days"):
        value_scores(brand(), AS_OF, window_days=days)


def test_on_a_simulated_brand_scores_are_in_range_and_card_holders_spend_more() -> None:
    tables = simulate(SimulationConfig.load(), 3000)
    as_of = datetime(2026, 1, 1)
    values = value_scores(tables, as_of)
    scores = values[[*DIMENSIONS, "total"]]
    assert ((scores >= 0) & (scores <= 100)).all().all()
    expected = sum(TOTAL_WEIGHTS[d] * values[d] for d in DIMENSIONS)
    np.testing.assert_allclose(values["total"], expected)
    assert (scores.max() == 100).loc[list(DIMENSIONS)].all()
    cards = tables["card_purchases"]
    holders = pc.unique(cards.filter(pc.less(cards["purchased_at"], as_of))["user_id"])
    is_holder = values.index.isin(holders.to_pylist())
    assert (
        values.loc[is_holder, "consumption"].mean()
        > 1.5 * values.loc[~is_holder, "consumption"].mean()
    )
