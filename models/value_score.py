"""The brand's five value dimensions of each user, 0–100, and their total.

Raw measures are counted over a trailing window (``as_of - window_days <= time < as_of``; nothing
at or after ``as_of`` counts); :data:`MEASURES` says what each counts and :data:`WEIGHTS` which
dimension it feeds. Invitee orders are credited to the first invitation naming the invitee and
count from the invitation on. A monthly card is an order in the brand's records, so it is in
``spend`` once. ``skin_tests`` and ``store_services`` feed only :mod:`models.segments`.

Scoring, the same for every dimension (``docs/value_and_segments.md`` has the long version):

1. Each raw measure becomes a percentile among the population's *active* users (value above 0):
   ``100 * share of active users whose value is <= the user's``. Ties share the top rank of their
   group, the top value scores 100, and no activity scores 0, however many users are inactive.
2. The measures' percentiles are averaged with :data:`WEIGHTS` into a composite, and the
   dimension is the same percentile of the composite: ``speech >= 80`` reads "in the top 20% of
   the users who speak at all".
3. ``total`` is the :data:`TOTAL_WEIGHTS` (equal) mean of the five dimensions.

The population is every user of the ``users`` table who joined before ``as_of`` (the users with
orders when there is none). A user's scores do not depend on which ``users`` are asked
for: an id outside the population is scored against it without moving anyone else. Every step
is a vectorised reduction (``bincount`` on user positions, ``searchsorted`` on sorted values).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.events import TABLES
from data.events.specs import ACTIVITY_KINDS
from data.user_codes import positions
from models._propensity_columns import (
    DAY,
    UserFrame,
    epoch_seconds,
    is_in,
    numbers,
    seconds,
)
from skinlab.errors import InvalidInput

WINDOW_DAYS = 365
"""Default look-back: a year covers the brand's seasons (618, Double 11, New Year) once each."""


class Dimension(NamedTuple):
    """A value dimension's Chinese and English names and what it measures."""

    zh: str
    en: str
    description: str


DIMENSIONS: dict[str, Dimension] = {
    "speech": Dimension("发言", "Speech", "Messages sent in the WeCom community."),
    "fission": Dimension("裂变", "Fission", "Friends invited, and the orders they brought."),
    "consumption": Dimension("消费", "Consumption", "Spend, orders and average order value."),
    "participation": Dimension("参与", "Participation", "Tasks, points, check-ins, events."),
    "content": Dimension("内容", "Content", "Notes, reviews and photos posted, and forwards."),
}
TOTAL = Dimension("总分", "Total", "Weighted mean of the five dimensions.")

MEASURES: dict[str, str] = {
    "messages": "community messages (count-weighted rows of kind message)",
    "invites": "invitations sent (invites whose invited_at is in the window)",
    "invitee_orders": "orders placed by the user's invitees after their invitation",
    "invitee_spend": "RMB those invitee orders paid",
    "spend": "RMB paid for orders (monthly cards included)",
    "orders": "orders placed",
    "avg_order_value": "spend / orders, 0 without orders",
    "tasks": "tasks completed (tasks_completed of earned energy points)",
    "energy_earned": "energy points earned",
    "check_ins": "community check-ins",
    "sign_ins": "community sign-ins",
    "surveys": "surveys answered",
    "live_sessions": "live sessions joined",
    "posts": "content posted (notes, reviews, photos)",
    "forwards": "content forwarded to friends or Moments",
    "skin_tests": "skin tests taken, in the mini-program or a store (segments only)",
    "store_services": "store visits for a consultation, skin test, facial or spa (segments only)",
}
"""Raw measures in the output, over the window, with what each counts."""

WEIGHTS: dict[str, dict[str, float]] = {
    "speech": {"messages": 1.0},
    "fission": {"invites": 1 / 3, "invitee_orders": 1 / 3, "invitee_spend": 1 / 3},
    # spend already is orders x AOV; half on it, the rest split between frequent small buyers
    # and rare big ones
    "consumption": {"spend": 0.5, "orders": 0.25, "avg_order_value": 0.25},
    "participation": dict.fromkeys(
        ("tasks", "energy_earned", "check_ins", "sign_ins", "surveys", "live_sessions"), 1 / 6
    ),
    # a post is original content and takes more effort than a forward
    "content": {"posts": 0.6, "forwards": 0.4},
}
"""Weights of each dimension's measure percentiles in its composite (each row sums to 1)."""

TOTAL_WEIGHTS: dict[str, float] = dict.fromkeys(DIMENSIONS, 0.2)

_EXPERIENCES = ("consultation", "skin_test", "facial", "spa_treatment")
_ALIAS = {"int": "int64", "float": "float64", "timestamp": "timestamp[s]"}  # string, bool as is
_EVER = int(np.iinfo(np.int64).min)
Measures = dict[str, np.ndarray]


class _Rows(NamedTuple):
    """A table (empty when absent), the window's row mask, and row user positions (-1 outside)."""

    table: pa.Table
    inside: np.ndarray
    codes: np.ndarray


def _rows(
    frame: UserFrame, tables: Mapping[str, pa.Table], name: str, start_s: int, as_of_s: int
) -> _Rows:
    # masking the positions instead of filtering the table saves copying its string columns
    spec = TABLES[name]
    table = tables.get(name)
    if table is None:
        types = [pa.type_for_alias(_ALIAS.get(c.dtype, c.dtype)) for c in spec.columns]
        table = pa.schema(zip(spec.names, types, strict=True)).empty_table()
    when = seconds(table, spec.time_column)
    inside = (when >= start_s) & (when < as_of_s)
    return _Rows(table, inside, np.where(inside, frame.codes(table, spec.user_column), -1))


def _population(tables: Mapping[str, pa.Table], as_of_s: int) -> pa.Array:
    """Users known before ``as_of``: the users table, or the users with orders without one."""
    spec = TABLES["users" if "users" in tables else "orders"]
    table = tables.get(spec.name)
    if table is None:
        return pa.array([], pa.string())
    known = table["user_id"].filter(pa.array(seconds(table, spec.time_column) < as_of_s))
    return pc.unique(known.combine_chunks())


def _consumption(frame: UserFrame, orders: _Rows) -> Measures:
    spend = frame.count(orders.codes, numbers(orders.table, "amount"))
    n = frame.count(orders.codes)
    mean = np.divide(spend, n, out=np.zeros_like(spend), where=n > 0)
    return {"spend": spend, "orders": n, "avg_order_value": mean}


def _fission(frame: UserFrame, invites: _Rows, orders: _Rows, start_s: int) -> Measures:
    """``invites`` holds every invitation before ``as_of``; ``orders`` the window's."""
    invited_s = seconds(invites.table, "invited_at")
    row = positions(orders.table["user_id"], invites.table["invitee_id"].combine_chunks())
    found = np.flatnonzero(orders.inside & (row >= 0))
    found = found[invites.inside[row[found]]]
    found = found[seconds(orders.table, "ordered_at")[found] >= invited_s[row[found]]]
    credit = np.full(len(row), -1, dtype=np.int64)
    credit[found] = invites.codes[row[found]]
    return {
        "invites": frame.count(invites.codes[invited_s >= start_s]),
        "invitee_orders": frame.count(credit),
        "invitee_spend": frame.count(credit, numbers(orders.table, "amount")),
    }


def _community(frame: UserFrame, activity: _Rows, energy: _Rows) -> Measures:
    count = numbers(activity.table, "count", 1.0)
    # one hashing pass over the kinds instead of one per kind: this is the largest table
    kinds = positions(activity.table["kind"], pa.array(ACTIVITY_KINDS, pa.string()))

    def kind(name: str) -> np.ndarray:
        mask = kinds == ACTIVITY_KINDS.index(name)
        return frame.count(activity.codes[mask], count[mask])

    earned = is_in(energy.table, "kind", "earned")
    e_codes = energy.codes[earned]
    return {
        "messages": kind("message"),
        "tasks": frame.count(e_codes, numbers(energy.table, "tasks_completed")[earned]),
        "energy_earned": frame.count(e_codes, numbers(energy.table, "points")[earned]),
        "check_ins": kind("check_in"),
        "sign_ins": kind("sign_in"),
        "surveys": kind("survey"),
        "live_sessions": kind("live_session"),
    }


def _content_and_experience(
    frame: UserFrame, content: _Rows, tests: _Rows, visits: _Rows
) -> Measures:
    post = is_in(content.table, "action", "post")
    experience = is_in(visits.table, "service", _EXPERIENCES)
    return {
        "posts": frame.count(content.codes[post]),
        "forwards": frame.count(content.codes[~post]),
        "skin_tests": frame.count(tests.codes),
        "store_services": frame.count(visits.codes[experience]),
    }


def _percentile(values: np.ndarray, population: np.ndarray) -> np.ndarray:
    """100 x the share of the population's active users at or below each value; 0 if inactive."""
    positive = np.flatnonzero(values > 0)
    by_value = positive[np.argsort(values[positive])]
    ordered = values[by_value]  # sorted queries keep searchsorted in cache: 4x faster at 1M
    active = ordered[population[by_value]]
    out = np.zeros(len(values))
    if len(active) == 0:
        out[by_value] = 100.0
    else:
        out[by_value] = 100.0 * np.searchsorted(active, ordered, side="right") / len(active)
    return out


def _scores(measures: Measures, population: np.ndarray) -> dict[str, np.ndarray]:
    scores: dict[str, np.ndarray] = {}
    for dimension, weights in WEIGHTS.items():
        composite = sum(
            (w * _percentile(measures[m], population) for m, w in weights.items()),
            start=np.zeros(len(population)),
        )
        scores[dimension] = _percentile(composite, population)
    scores["total"] = sum(
        (w * scores[d] for d, w in TOTAL_WEIGHTS.items()), start=np.zeros(len(population))
    )
    return scores


def value_scores(
    tables: Mapping[str, pa.Table],
    as_of: datetime,
    users: Sequence[str] | pa.Array | pa.ChunkedArray | None = None,
    *,
    window_days: int = WINDOW_DAYS,
) -> pd.DataFrame:
    """The five value dimensions, their total and the raw measures of ``users`` at ``as_of``.

    Parameters
    ----------
    tables : mapping of str to pyarrow.Table
        Event tables by name (see :mod:`data.events.specs`); a missing table counts as no events.
        Rows at or after ``as_of``, and before the window, are ignored.
    as_of : datetime
        The moment of scoring (naive local time, like the tables).
    users : sequence of str, optional
        The users to describe, in this order (default: every user who joined before ``as_of``).
        Their scores do not depend on who else is asked for.
    window_days : int, default 365
        Length of the trailing window the measures are counted over.

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_users, 6 + len(MEASURES))``, float64, indexed by ``user_id``: the columns of
        :data:`DIMENSIONS`, ``total`` (all 0–100), then the raw measures of :data:`MEASURES`.

    Raises
    ------
    InvalidInput
        If ``window_days`` is not a positive number of days.
    """
    if window_days <= 0:
        raise InvalidInput(
            f"window_days must be a positive number of days, not {window_days}",
            message_zh=f"window_days 必须为正的天数，而不是 {window_days}",
        )
    as_of_s = epoch_seconds(as_of)
    start_s = as_of_s - int(window_days * DAY)
    known = _population(tables, as_of_s)
    if users is None:
        index = pd.Index(known.to_pylist(), dtype=object, name="user_id")
        wanted = None
    else:
        listed = users.to_pylist() if isinstance(users, pa.Array | pa.ChunkedArray) else users
        wanted = pd.Index(list(listed), dtype=object, name="user_id")
        extra = pc.unique(pa.array(wanted.to_numpy(), pa.string()))
        extra = extra.filter(pc.invert(pc.is_in(extra, value_set=known)))
        index = pd.Index(known.to_pylist() + extra.to_pylist(), dtype=object, name="user_id")
    frame = UserFrame(index)
    population = np.arange(frame.n) < len(known)

    def rows(name: str) -> _Rows:
        return _rows(frame, tables, name, start_s, as_of_s)

    orders = rows("orders")
    measures = {
        **_community(frame, rows("community_activity"), rows("energy_points")),
        **_fission(frame, _rows(frame, tables, "invites", _EVER, as_of_s), orders, start_s),
        **_consumption(frame, orders),
        **_content_and_experience(frame, rows("content"), rows("skin_tests"), rows("store_visits")),
    }
    columns = {**_scores(measures, population), **{m: measures[m] for m in MEASURES}}
    values = pd.DataFrame(columns, index=index)
    return values if wanted is None else values.iloc[index.get_indexer(wanted)].set_axis(wanted)
