"""Point-in-time features of each user for the monthly-card (and repurchase) propensity model.

Every table is cut at ``as_of`` here again (rows strictly before it, on the table's
``time_column``), so passing the full event tables gives the same matrix as passing
``data.as_of.split_as_of(...).history``: nothing that happens at or after ``as_of`` can reach a
feature. Every block is a vectorised reduction over all rows (``numpy.bincount`` and
``ufunc.at`` on user positions), with no per-user Python loop.

"Never happened" is a number (:data:`NEVER_DAYS` days ago; a score of -1), never NaN, so the
LightGBM model, its ONNX export and the logistic baseline see the same values. The plain-language
name of every column is in :mod:`models.propensity_reasons`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

from data.events import TABLES
from data.events.specs import (
    ACTIVITY_KINDS,
    EBA_TOUCHES,
    ORDER_CHANNELS,
    SOURCE_CHANNELS,
    TableSpec,
)
from data.user_codes import positions
from data.vocabulary import CONCERNS
from models._propensity_columns import (
    DAY,
    NEVER_DAYS,
    UserFrame,
    category_codes,
    cut,
    epoch_seconds,
    is_in,
    log_trend,
    numbers,
    seconds,
    strings,
)

__all__ = ["NEVER_DAYS", "ORDER_FEATURES", "build_features", "build_order_features"]

TIER1_CITIES = ("Shanghai", "Beijing", "Guangzhou", "Shenzhen")
_ARROW = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "timestamp": pa.timestamp("s"),
    "bool": pa.bool_(),
}
Block = dict[str, np.ndarray]


def _empty(spec: TableSpec) -> pa.Table:
    return pa.table({c.name: pa.array([], _ARROW[c.dtype]) for c in spec.columns})


def _table(tables: Mapping[str, pa.Table], name: str, as_of_s: int) -> pa.Table:
    spec = TABLES[name]
    table = tables.get(name)
    return cut(_empty(spec) if table is None else table, spec.time_column, as_of_s)


def _orders(frame: UserFrame, orders: pa.Table, as_of_s: int, tenure: np.ndarray) -> Block:
    codes = frame.codes(orders)
    when = seconds(orders, "ordered_at")
    amount = numbers(orders, "amount")
    age = (as_of_s - when) / DAY
    n = frame.count(codes)
    spend = frame.count(codes, amount)
    recent = frame.count(codes[age < 90])
    block: Block = {
        "orders_days_since_last": frame.days_since_last(codes, when, as_of_s),
        "orders_days_since_first": np.where(
            n > 0, (as_of_s - frame.minimum(codes, when, 0.0)) / DAY, NEVER_DAYS
        ),
        "orders_n": n,
        "orders_spend": spend,
        "orders_mean_amount": np.divide(spend, n, out=np.zeros_like(spend), where=n > 0),
        "orders_max_amount": frame.maximum(codes, amount, 0.0),
        "orders_n_30d": frame.count(codes[age < 30]),
        "orders_n_90d": recent,
        "orders_spend_90d": frame.count(codes[age < 90], amount[age < 90]),
        "orders_trend": log_trend(recent, n - recent, tenure),
    }
    if "channel" in orders.column_names:
        for channel in ORDER_CHANNELS:
            mask = is_in(orders, "channel", channel)
            block[f"orders_n_{channel}"] = frame.count(codes[mask])
            block[f"orders_spend_{channel}"] = frame.count(codes[mask], amount[mask])
    return block


def _profile(frame: UserFrame, users: pa.Table, as_of_s: int) -> tuple[Block, np.ndarray]:
    codes = frame.codes(users)
    joined = frame.minimum(codes, seconds(users, "joined_at"), float(as_of_s))
    tenure = (as_of_s - joined) / DAY
    block: Block = {"tenure_days": tenure}
    for channel in SOURCE_CHANNELS:
        block[f"source_{channel}"] = frame.count(codes[is_in(users, "source_channel", channel)])
    block["city_tier1"] = frame.count(codes[is_in(users, "city", TIER1_CITIES)])
    return block, tenure


def _store_and_cards(frame: UserFrame, visits: pa.Table, cards: pa.Table, as_of_s: int) -> Block:
    codes = frame.codes(visits)
    when = seconds(visits, "visited_at")
    spa = is_in(visits, "service", ("facial", "spa_treatment"))
    card_codes = frame.codes(cards)
    return {
        "visits_n": frame.count(codes),
        "visits_n_90d": frame.count(codes[(as_of_s - when) < 90 * DAY]),
        "visits_spa_services": frame.count(codes[spa]),
        "visits_days_since_last": frame.days_since_last(codes, when, as_of_s),
        "cards_bought_before": frame.count(card_codes),
        "cards_days_since_last": frame.days_since_last(
            card_codes, seconds(cards, "purchased_at"), as_of_s
        ),
    }


def _skin_tests(frame: UserFrame, tests: pa.Table, as_of_s: int) -> Block:
    codes = frame.codes(tests)
    when = seconds(tests, "tested_at")
    block: Block = {
        "tests_n": frame.count(codes),
        "tests_days_since_last": frame.days_since_last(codes, when, as_of_s),
    }
    order = np.lexsort((when, codes))  # by user, then time: the last row of a user is the latest
    ordered = codes[order]
    is_last = np.r_[ordered[1:] != ordered[:-1], True] & (ordered >= 0)
    last_rows, last_users = order[is_last], ordered[is_last]
    worst = np.full(frame.n, -1.0)
    for concern in CONCERNS:
        column = f"{concern}_score"
        values = np.full(frame.n, -1.0)
        if column in tests.column_names and len(last_rows):
            scores = tests[column].to_numpy(zero_copy_only=False).astype(np.float64)[last_rows]
            values[last_users] = np.where(np.isnan(scores), -1.0, scores)
        block[f"tests_last_{concern}"] = values
        worst = np.maximum(worst, values)
    block["tests_last_worst_score"] = worst
    return block


def _community(
    frame: UserFrame, activity: pa.Table, energy: pa.Table, as_of_s: int, tenure: np.ndarray
) -> Block:
    codes = frame.codes(activity)
    when = seconds(activity, "occurred_at")
    count = numbers(activity, "count", 1.0)
    age = (as_of_s - when) / DAY
    by_kind = frame.count_by(
        codes, category_codes(activity, "kind", ACTIVITY_KINDS), len(ACTIVITY_KINDS), count
    )
    block: Block = {f"community_{k}s": by_kind[:, i] for i, k in enumerate(ACTIVITY_KINDS)}
    total = frame.count(codes, count)
    recent = frame.count(codes[age < 90], count[age < 90])
    block["community_events_30d"] = frame.count(codes[age < 30], count[age < 30])
    block["community_events_90d"] = recent
    block["community_trend"] = log_trend(recent, total - recent, tenure)
    block["community_active_periods"] = frame.count(codes)
    block["community_days_since_last"] = frame.days_since_last(codes, when, as_of_s)
    e_codes = frame.codes(energy)
    points = numbers(energy, "points")
    tasks = numbers(energy, "tasks_completed")
    earned = is_in(energy, "kind", "earned")
    recent_e = (as_of_s - seconds(energy, "occurred_at")) < 90 * DAY
    block["energy_earned"] = frame.count(e_codes[earned], points[earned])
    block["energy_redeemed"] = frame.count(e_codes[~earned], points[~earned])
    block["energy_balance"] = block["energy_earned"] - block["energy_redeemed"]
    block["energy_earned_90d"] = frame.count(e_codes[earned & recent_e], points[earned & recent_e])
    block["tasks_completed"] = frame.count(e_codes, tasks)
    return block


def _social(
    frame: UserFrame, invites: pa.Table, orders: pa.Table, content: pa.Table, as_of_s: int
) -> Block:
    inviter = frame.codes(invites, "inviter_id")
    # index_in finds the first invitation of an invitee invited twice: one inviter per invitee
    invitee = positions(orders["user_id"], invites["invitee_id"].combine_chunks())
    brought_codes = np.full(len(invitee), -1, dtype=np.int64)
    brought_codes[invitee >= 0] = inviter[invitee[invitee >= 0]]
    amount = numbers(orders, "amount")
    c_codes = frame.codes(content)
    c_age = (as_of_s - seconds(content, "occurred_at")) / DAY
    post = is_in(content, "action", "post")
    return {
        "invites_n": frame.count(inviter),
        "invites_n_90d": frame.count(
            inviter[(as_of_s - seconds(invites, "invited_at")) < 90 * DAY]
        ),
        "invites_orders_brought": frame.count(brought_codes),
        "invites_spend_brought": frame.count(brought_codes, amount),
        "content_posts": frame.count(c_codes[post]),
        "content_forwards": frame.count(c_codes[~post]),
        "content_n_90d": frame.count(c_codes[c_age < 90]),
    }


def _touches(frame: UserFrame, touches: pa.Table) -> Block:
    codes = frame.codes(touches)
    reached = is_in(touches, "outcome", "reached")
    block = {
        f"eba_{t}_reached": frame.count(codes[reached & is_in(touches, "touch", t)])
        for t in EBA_TOUCHES
    }
    block["eba_touches_n"] = frame.count(codes)
    return block


def _user_index(users: Sequence[str] | pa.Array | pa.ChunkedArray) -> pd.Index:
    values = users.to_pylist() if isinstance(users, pa.Array | pa.ChunkedArray) else list(users)
    index: pd.Index = pd.Index(values, dtype=object, name="user_id")
    return index


def _frame(blocks: Sequence[Block], index: pd.Index) -> pd.DataFrame:
    columns = {
        name: values.astype(np.float32) for block in blocks for name, values in block.items()
    }
    return pd.DataFrame(columns, index=index)


def build_features(
    tables: Mapping[str, pa.Table],
    as_of: datetime,
    users: Sequence[str] | pa.Array | pa.ChunkedArray | None = None,
) -> pd.DataFrame:
    """The feature matrix of ``users`` as known just before ``as_of``.

    Parameters
    ----------
    tables : mapping of str to pyarrow.Table
        Event tables by name (``users`` and ``orders`` at least; a missing table counts as no
        events). Rows at or after ``as_of`` are ignored.
    as_of : datetime
        The moment of scoring (naive local time, like the tables).
    users : sequence of str, optional
        The users to describe, in this order (default: every user who joined before ``as_of``).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_users, n_features)``, float32, indexed by ``user_id``.
    """
    as_of_s = epoch_seconds(as_of)
    get = {name: _table(tables, name, as_of_s) for name in TABLES}
    index = _user_index(get["users"]["user_id"] if users is None else users)
    frame = UserFrame(index)
    profile, tenure = _profile(frame, get["users"], as_of_s)
    orders = get["orders"]
    return _frame(
        [
            profile,
            _orders(frame, orders, as_of_s, tenure),
            _store_and_cards(frame, get["store_visits"], get["card_purchases"], as_of_s),
            _skin_tests(frame, get["skin_tests"], as_of_s),
            _community(frame, get["community_activity"], get["energy_points"], as_of_s, tenure),
            _social(frame, get["invites"], orders, get["content"], as_of_s),
            _touches(frame, get["eba_touches"]),
        ],
        index,
    )


ORDER_FEATURES = (
    "orders_days_since_last",
    "orders_days_since_first",
    "orders_n",
    "orders_spend",
    "orders_mean_amount",
    "orders_max_amount",
    "orders_n_30d",
    "orders_n_90d",
    "orders_spend_90d",
    "orders_trend",
)


def build_order_features(
    orders: pa.Table, as_of: datetime, users: Sequence[str] | pa.Array | None = None
) -> pd.DataFrame:
    """Features from an orders table alone (``user_id, ordered_at, amount`` [, ``channel``]).

    Tenure is counted from a user's first order. Returns shape ``(n_users, n_features)``,
    float32, indexed by ``user_id`` (default: everyone with an order before ``as_of``).
    """
    as_of_s = epoch_seconds(as_of)
    known = cut(orders, "ordered_at", as_of_s)
    index = _user_index(pd.unique(strings(known, "user_id")) if users is None else users)
    frame = UserFrame(index)
    codes = frame.codes(known)
    first = frame.minimum(codes, seconds(known, "ordered_at"), float(as_of_s))
    return _frame([_orders(frame, known, as_of_s, (as_of_s - first) / DAY)], index)
