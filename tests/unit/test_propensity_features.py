"""Point-in-time features: known values on a hand-made history, and no leakage from the future."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from data.as_of import split_as_of
from data.events import TABLES
from data.simulation_config import SimulationConfig
from data.simulator import simulate
from models.propensity_features import NEVER_DAYS, build_features, build_order_features
from models.propensity_reasons import FEATURE_NAMES, top_reasons

AS_OF = datetime(2025, 6, 1)


def _at(days_before: float) -> datetime:
    return AS_OF - timedelta(days=days_before)


def _table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    """A table of the event contract from row dicts (missing optional columns are null)."""
    spec = TABLES[name]
    types = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    columns = {}
    for column in spec.columns:
        kind = pa.timestamp("s") if column.dtype == "timestamp" else types[column.dtype]
        columns[column.name] = pa.array([row.get(column.name) for row in rows], kind)
    return pa.table(columns)


def _history() -> dict[str, pa.Table]:
    """Two users: ``ua`` active everywhere, ``ub`` with one old online order and nothing else."""
    return {
        "users": _table(
            "users",
            [
                {
                    "user_id": "ua",
                    "joined_at": _at(200),
                    "city": "Shanghai",
                    "source_channel": "store",
                },
                {"user_id": "ub", "joined_at": _at(400), "city": "Wuhan", "source_channel": "live"},
                {"user_id": "uc", "joined_at": _at(-5)},  # joins after as_of: not described
            ],
        ),
        "orders": _table(
            "orders",
            [
                {"user_id": "ua", "ordered_at": _at(200), "amount": 1000.0, "channel": "store"},
                {"user_id": "ua", "ordered_at": _at(60), "amount": 100.0, "channel": "miniprogram"},
                {"user_id": "ua", "ordered_at": _at(10), "amount": 300.0, "channel": "store"},
                {"user_id": "ua", "ordered_at": _at(-1), "amount": 9999.0, "channel": "store"},
                {"user_id": "ub", "ordered_at": _at(400), "amount": 80.0, "channel": "live"},
                {"user_id": "uf", "ordered_at": _at(30), "amount": 50.0, "channel": "ecommerce"},
            ],
        ),
        "community_activity": _table(
            "community_activity",
            [
                {"user_id": "ua", "occurred_at": _at(100), "kind": "message", "count": 4},
                {"user_id": "ua", "occurred_at": _at(7), "kind": "message", "count": 6},
                {"user_id": "ua", "occurred_at": _at(7), "kind": "sign_in", "count": 3},
                {"user_id": "ua", "occurred_at": AS_OF, "kind": "message", "count": 50},
            ],
        ),
        "energy_points": _table(
            "energy_points",
            [
                {
                    "user_id": "ua",
                    "occurred_at": _at(20),
                    "kind": "earned",
                    "points": 70,
                    "tasks_completed": 5,
                },
                {"user_id": "ua", "occurred_at": _at(5), "kind": "redeemed", "points": 50},
            ],
        ),
        "invites": _table(
            "invites",
            [{"inviter_id": "ua", "invitee_id": "uf", "invited_at": _at(31)}],
        ),
        "skin_tests": _table(
            "skin_tests",
            [
                {"user_id": "ua", "tested_at": _at(50), "acne_score": 80.0, "spots_score": 10.0},
                {"user_id": "ua", "tested_at": _at(3), "acne_score": 40.0, "spots_score": 20.0},
                {"user_id": "ua", "tested_at": _at(-3), "acne_score": 99.0},
            ],
        ),
        "eba_touches": _table(
            "eba_touches",
            [
                {"user_id": "ub", "touched_at": _at(399), "touch": "qr_scan", "outcome": "reached"},
                {
                    "user_id": "ub",
                    "touched_at": _at(390),
                    "touch": "day10_call",
                    "outcome": "not_reached",
                },
            ],
        ),
        "content": _table(
            "content",
            [
                {"user_id": "ua", "occurred_at": _at(2), "action": "post"},
                {"user_id": "ua", "occurred_at": _at(120), "action": "forward"},
            ],
        ),
    }


def test_hand_made_history_gives_the_known_values() -> None:
    features = build_features(_history(), AS_OF)
    assert list(features.index) == ["ua", "ub"]
    a, b = features.loc["ua"], features.loc["ub"]
    assert a["orders_n"] == 3 and a["orders_spend"] == pytest.approx(1400.0)
    assert a["orders_days_since_last"] == pytest.approx(10.0)
    assert a["orders_days_since_first"] == pytest.approx(200.0)
    assert a["orders_n_90d"] == 2 and a["orders_n_30d"] == 1
    assert a["orders_n_store"] == 2 and a["orders_spend_store"] == pytest.approx(1300.0)
    assert a["orders_spend_miniprogram"] == pytest.approx(100.0)
    assert a["community_messages"] == 10 and a["community_sign_ins"] == 3
    assert a["community_events_30d"] == 9 and a["community_days_since_last"] == pytest.approx(7)
    assert a["energy_earned"] == 70 and a["energy_balance"] == 20 and a["tasks_completed"] == 5
    assert a["invites_n"] == 1 and a["invites_orders_brought"] == 1
    assert a["invites_spend_brought"] == pytest.approx(50.0)
    assert a["tests_n"] == 2 and a["tests_last_acne"] == 40 and a["tests_last_spots"] == 20
    assert a["tests_last_redness"] == -1 and a["tests_last_worst_score"] == 40
    assert a["content_posts"] == 1 and a["content_forwards"] == 1 and a["content_n_90d"] == 1
    assert a["source_store"] == 1 and a["city_tier1"] == 1 and a["tenure_days"] == 200
    assert b["orders_n"] == 1 and b["orders_spend_live"] == pytest.approx(80.0)
    assert b["eba_qr_scan_reached"] == 1 and b["eba_day10_call_reached"] == 0
    assert b["eba_touches_n"] == 2 and b["city_tier1"] == 0
    assert b["visits_days_since_last"] == NEVER_DAYS and b["tests_last_worst_score"] == -1
    assert b["community_messages"] == 0 and b["invites_n"] == 0
    assert features.dtypes.eq(np.float32).all()
    assert not features.isna().to_numpy().any()


def test_a_brand_with_only_users_and_orders_gets_every_column() -> None:
    history = _history()
    full = build_features(history, AS_OF)
    lean = build_features({"users": history["users"], "orders": history["orders"]}, AS_OF)
    assert list(lean.columns) == list(full.columns)
    assert lean.loc["ua", "orders_spend"] == full.loc["ua", "orders_spend"]
    assert lean.loc["ua", "invites_n"] == 0 and lean.loc["ua", "community_messages"] == 0
    assert lean.loc["ua", "tests_days_since_last"] == NEVER_DAYS


def test_order_features_alone_match_the_full_features() -> None:
    history = _history()
    alone = build_order_features(history["orders"], AS_OF, ["ua", "ub"])
    full = build_features(history, AS_OF)
    shared = [c for c in alone.columns if c != "orders_trend"]  # tenure differs by design
    pd.testing.assert_frame_equal(alone[shared], full[shared])
    assert set(build_order_features(history["orders"], AS_OF).index) == {"ua", "ub", "uf"}


@pytest.fixture(scope="module")
def brand() -> dict[str, pa.Table]:
    tables = simulate(SimulationConfig.load(), 3000)
    tables.pop("latent_traits")
    return tables


def _rewrite_future(tables: dict[str, pa.Table], seed: int) -> dict[str, pa.Table]:
    """Shuffle every column of the rows at or after AS_OF and move them elsewhere in the future."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, table in tables.items():
        time_column = TABLES[name].time_column
        frame = table.to_pandas()
        future = frame[time_column] >= AS_OF
        moved = frame[future].copy()
        for column in moved.columns:
            moved[column] = rng.permutation(moved[column].to_numpy())
        moved[time_column] = AS_OF + pd.to_timedelta(rng.integers(0, 400, len(moved)), unit="D")
        rewritten = pd.concat([frame[~future], moved, moved.iloc[: len(moved) // 3]])
        out[name] = pa.Table.from_pandas(rewritten, schema=table.schema, preserve_index=False)
    return out


def test_rewriting_the_future_leaves_the_features_unchanged(brand: dict[str, pa.Table]) -> None:
    users = split_as_of(brand, AS_OF, 90).labels["user_id"]
    before = build_features(brand, AS_OF, users)
    altered = build_features(_rewrite_future(brand, seed=1), AS_OF, users)
    cut_first = build_features(split_as_of(brand, AS_OF, 90).history, AS_OF, users)
    pd.testing.assert_frame_equal(before, altered)
    pd.testing.assert_frame_equal(before, cut_first)
    assert (before["orders_n"] > 0).mean() > 0.99  # the matrix is not trivially empty
    # and the past does matter: a feature moves when history before AS_OF changes
    earlier = build_features(brand, AS_OF - timedelta(days=60), users)
    assert not before["orders_n"].equals(earlier["orders_n"])


def test_every_feature_has_a_chinese_and_english_name(brand: dict[str, pa.Table]) -> None:
    columns = build_features(brand, AS_OF).columns
    missing = [c for c in columns if c not in FEATURE_NAMES]
    assert not missing
    assert all(zh and en and zh != en for en, zh in FEATURE_NAMES.values())


def test_reasons_are_the_largest_positive_contributions() -> None:
    contributions = np.array([[0.5, -1.0, 2.0, 0.1], [-0.2, -0.3, -0.1, 3.0]])
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    reasons = top_reasons(contributions, values, ["orders_n", "tenure_days", "invites_n"], k=2)
    assert [r["feature"] for r in reasons[0]] == ["invites_n", "orders_n"]
    assert reasons[0][0]["zh"] == "邀请好友数" and reasons[0][0]["value"] == 3.0
    assert reasons[1] == []  # the bias column is never a reason; nothing pushes the score up


def test_millisecond_timestamps_give_the_same_features() -> None:
    history = _history()
    orders = history["orders"]
    exact = orders.column("ordered_at").cast(pa.timestamp("ms"))
    shifted = pc.add(exact, pa.scalar(700, pa.duration("ms")))  # sub-second noise
    history["orders"] = orders.set_column(
        orders.schema.get_field_index("ordered_at"), "ordered_at", shifted
    )
    pd.testing.assert_frame_equal(build_features(history, AS_OF), build_features(_history(), AS_OF))
