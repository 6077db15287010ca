"""Who to approach about a monthly card: every user scored, then filtered and ranked.

:func:`build_board` scores everyone known at one moment (the propensity model, the five value
dimensions and the segments) and marks who may not be approached: current card holders, and
users an EBA touched within the cool-down. :func:`rank_users` answers one query against the
board, and says how many users each rule left out, so an empty list explains itself.

The moment defaults to the end of the data (:func:`end_of_data`): a brand's export describes the
past, and scoring "now" against an export that stopped last week would make everyone look lapsed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.as_of import current_holders
from data.events import TABLES
from data.user_codes import positions
from models._propensity_columns import UserFrame, cut, epoch_seconds, seconds, strings
from models.propensity_features import build_features
from models.propensity_scorer import PropensityScorer
from models.segments import SEGMENTS, assign_segments
from models.value_score import DIMENSIONS, value_scores

DEFAULT_COOLDOWN_DAYS = 14


class UnknownSegment(ValueError):
    """A segment code that :data:`models.segments.SEGMENTS` does not define."""


def end_of_data(tables: Mapping[str, pa.Table]) -> datetime:
    """Midnight after the latest event in ``tables`` (the default scoring moment)."""
    latest = 0
    for name, table in tables.items():
        if name in TABLES and table.num_rows:
            latest = max(latest, int(seconds(table, TABLES[name].time_column).max()))
    moment = datetime(1970, 1, 1) + timedelta(seconds=latest)
    return datetime(moment.year, moment.month, moment.day) + timedelta(days=1)


def _home_stores(tables: Mapping[str, pa.Table], as_of_s: int, frame: UserFrame) -> np.ndarray:
    """Each user's most visited store (visits and store orders together; ties: lowest id).

    Counted on integer codes, never on Python strings: a million users' four million store
    events fit in a few arrays of int64.
    """
    users, stores = [], []
    for name, time_column in (("store_visits", "visited_at"), ("orders", "ordered_at")):
        table = tables.get(name)
        if table is None or "store_id" not in table.column_names:
            continue
        known = cut(table, time_column, as_of_s)
        known = known.filter(pc.is_valid(known["store_id"]))
        users.append(frame.codes(known))
        stores.append(known["store_id"])
    home = np.full(frame.n, None, dtype=object)
    if not users:
        return home
    distinct = pc.unique(pa.chunked_array([c for s in stores for c in s.chunks], pa.string()))
    ordered = distinct.take(pc.array_sort_indices(distinct))  # codes in id order: ties to lowest
    user = np.concatenate(users)
    store = np.concatenate([positions(s, ordered) for s in stores])
    keep = user >= 0
    pairs, counts = np.unique(user[keep] * len(ordered) + store[keep], return_counts=True)
    if len(pairs) == 0:
        return home
    pair_user, pair_store = pairs // len(ordered), pairs % len(ordered)
    best = np.lexsort((pair_store, -counts, pair_user))  # by user, most visits, lowest id
    first = best[np.r_[True, np.diff(pair_user[best]) != 0]]
    home[pair_user[first]] = np.asarray(ordered.to_pylist(), dtype=object)[pair_store[first]]
    return home


def _last_touches(tables: Mapping[str, pa.Table], as_of_s: int, frame: UserFrame) -> np.ndarray:
    """When an EBA last touched each user before the moment, as epoch seconds (NaN if never)."""
    table = tables.get("eba_touches")
    if table is None or table.num_rows == 0:
        return np.full(frame.n, np.nan)
    known = cut(table, "touched_at", as_of_s)
    return frame.maximum(frame.codes(known), seconds(known, "touched_at"), empty=np.nan)


@dataclass
class UserBoard:
    """Everyone known at ``as_of``, scored; ``frame`` is indexed by ``user_id``.

    ``frame`` columns: ``probability``, the value dimensions and ``total``, one bool column per
    segment, ``city``, ``store_id`` (home store), ``card_holder``, ``last_touch_at`` and
    ``contacted_recently``. ``features`` keeps the model's inputs for the reasons.
    """

    as_of: datetime
    cooldown_days: int
    model_version: str
    frame: pd.DataFrame
    features: pd.DataFrame
    raw_values: pd.DataFrame = field(repr=False)

    def row(self, user_id: str) -> pd.Series:
        """The user's row of :attr:`frame`; ``KeyError`` if the user is not on the board."""
        return cast(pd.Series, self.frame.loc[user_id])


def build_board(
    tables: Mapping[str, pa.Table],
    scorer: PropensityScorer,
    *,
    as_of: datetime | None = None,
    cooldown_days: int = DEFAULT_COOLDOWN_DAYS,
) -> UserBoard:
    """Score every user who joined before ``as_of`` (default :func:`end_of_data`).

    Parameters
    ----------
    tables : mapping of str to pyarrow.Table
        Event tables by name, as :func:`training.propensity_pipeline.load_events` returns them.
    scorer : PropensityScorer
        The propensity model.
    as_of : datetime, optional
        The scoring moment; events at or after it are ignored.
    cooldown_days : int
        Users touched by an EBA within this many days before ``as_of`` are not to be contacted.
    """
    moment = as_of or end_of_data(tables)
    as_of_s = epoch_seconds(moment)
    features = build_features(tables, moment)
    index = features.index
    values = value_scores(tables, moment, index)
    segments = assign_segments(values)
    frame_users = UserFrame(index)
    users = cut(tables["users"], "joined_at", as_of_s)
    cities = np.full(len(index), None, dtype=object)
    if "city" in users.column_names:
        codes = frame_users.codes(users)
        cities[codes[codes >= 0]] = strings(users, "city")[codes >= 0]
    holders = current_holders(tables.get("card_purchases", _no_cards()), moment)
    last_touch = _last_touches(tables, as_of_s, frame_users)
    since_s = epoch_seconds(moment - timedelta(days=cooldown_days))
    frame = pd.DataFrame(
        {
            "probability": scorer.probability(features),
            **{name: values[name].to_numpy() for name in (*DIMENSIONS, "total")},
            **{code: segments[code].to_numpy(bool) for code in SEGMENTS},
            "city": cities,
            "store_id": _home_stores(tables, as_of_s, frame_users),
            "card_holder": positions(pa.array(index.to_numpy(), pa.string()), holders) >= 0,
            "last_touch_at": pd.to_datetime(last_touch, unit="s").astype("datetime64[s]"),
            "contacted_recently": np.nan_to_num(last_touch, nan=-np.inf) >= since_s,
        },
        index=index,
    )
    return UserBoard(moment, cooldown_days, scorer.version, frame, features, values)


def _no_cards() -> pa.Table:
    spec = TABLES["card_purchases"]
    return pa.table(
        {"user_id": pa.array([], pa.string()), spec.time_column: pa.array([], pa.timestamp("s"))}
    )


@dataclass(frozen=True)
class RankQuery:
    """What an EBA asks for: the top ``top_k``, optionally within a segment, store or city."""

    top_k: int = 50
    segment: str | None = None
    store_id: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class Ranking:
    """The ranked users (board rows, best first) and how many each rule excluded."""

    users: pd.DataFrame
    candidates: int
    excluded: dict[str, int]


def rank_users(
    board: UserBoard, query: RankQuery, contacted: Collection[str] = frozenset()
) -> Ranking:
    """Rank the board for ``query``; card holders and recently contacted users never appear.

    ``contacted`` names users whose contact was logged through skinlab within the cool-down
    (:mod:`data.contacts`), which the event tables do not show yet. ``excluded`` counts users
    removed by each rule, each under the first that applies: ``card_holder``,
    ``contacted_recently`` (an EBA touch in the events), ``contact_logged``, then
    ``outside_filter`` (segment, store, city).
    """
    if query.segment is not None and query.segment not in SEGMENTS:
        raise UnknownSegment(query.segment)
    frame = board.frame
    holders = frame["card_holder"].to_numpy()
    recent = frame["contacted_recently"].to_numpy() & ~holders
    logged = frame.index.isin(list(contacted)) & ~holders & ~recent
    keep = ~holders & ~recent & ~logged
    wanted = np.ones(len(frame), dtype=bool)
    if query.segment is not None:
        wanted &= frame[query.segment].to_numpy()
    if query.store_id is not None:
        wanted &= (frame["store_id"] == query.store_id).to_numpy()
    if query.city is not None:
        wanted &= (frame["city"] == query.city).to_numpy()
    candidates = frame[keep & wanted]
    # stable order: probability, then the value total, then the id, so equal scores never shuffle
    ordered = candidates.sort_values(["probability", "total"], ascending=False, kind="stable").iloc[
        : query.top_k
    ]
    return Ranking(
        users=ordered,
        candidates=len(candidates),
        excluded={
            "card_holder": int(holders.sum()),
            "contacted_recently": int(recent.sum()),
            "contact_logged": int(logged.sum()),
            "outside_filter": int((keep & ~wanted).sum()),
        },
    )
