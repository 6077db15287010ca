"""Who to approach about a monthly card: every user scored, then filtered and ranked.

:func:`build_board` scores everyone known at one moment (the propensity model, the five value
dimensions and the segments) and marks who may not be approached: current card holders, and
users an EBA touched within the cool-down. :func:`rank_users` answers one query against the
board, and says how many users each rule left out, so an empty list explains itself.

The moment defaults to the end of the data (:func:`end_of_data`): a brand's export describes the
past, and scoring "now" against an export that stopped last week would make everyone look lapsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa

from data.as_of import current_holders
from data.events import TABLES
from models._propensity_columns import cut, epoch_seconds, seconds, strings
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


def _home_stores(tables: Mapping[str, pa.Table], as_of_s: int, index: pd.Index) -> pd.Series:
    """Each user's most visited store (visits and store orders together; ties: lowest id)."""
    parts = []
    for name, time_column in (("store_visits", "visited_at"), ("orders", "ordered_at")):
        table = tables.get(name)
        if table is None or "store_id" not in table.column_names:
            continue
        known = cut(table, time_column, as_of_s)
        parts.append(
            pd.DataFrame(
                {"user_id": strings(known, "user_id"), "store_id": strings(known, "store_id")}
            )
        )
    if not parts:
        return pd.Series(None, index=index, dtype=object)
    rows = pd.concat(parts).dropna()
    counts = rows.groupby(["user_id", "store_id"]).size().reset_index(name="n")
    best = counts.sort_values(["user_id", "n", "store_id"], ascending=[True, False, True])
    home = best.drop_duplicates("user_id").set_index("user_id")["store_id"]
    return home.reindex(index)


def _last_touches(tables: Mapping[str, pa.Table], as_of_s: int, index: pd.Index) -> pd.Series:
    """When an EBA last touched each user before the moment (NaT if never)."""
    table = tables.get("eba_touches")
    if table is None or table.num_rows == 0:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[s]")
    known = cut(table, "touched_at", as_of_s)
    frame = pd.DataFrame({"user_id": strings(known, "user_id"), "at": seconds(known, "touched_at")})
    last = frame.groupby("user_id")["at"].max().reindex(index)
    return pd.to_datetime(last, unit="s").astype("datetime64[s]")


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
    users = cut(tables["users"], "joined_at", as_of_s)
    cities = pd.Series(
        strings(users, "city") if "city" in users.column_names else None,
        index=pd.Index(strings(users, "user_id")),
        dtype=object,
    ).reindex(index)
    holders = set(current_holders(tables.get("card_purchases", _no_cards()), moment).to_pylist())
    last_touch = _last_touches(tables, as_of_s, index)
    since = pd.Timestamp(moment - timedelta(days=cooldown_days))
    frame = pd.DataFrame(
        {
            "probability": scorer.probability(features),
            **{name: values[name].to_numpy() for name in (*DIMENSIONS, "total")},
            **{code: segments[code].to_numpy(bool) for code in SEGMENTS},
            "city": cities.to_numpy(),
            "store_id": _home_stores(tables, as_of_s, index).to_numpy(),
            "card_holder": index.isin(list(holders)),
            "last_touch_at": last_touch.to_numpy(),
            "contacted_recently": (last_touch >= since).fillna(False).to_numpy(bool),
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


def rank_users(board: UserBoard, query: RankQuery) -> Ranking:
    """Rank the board for ``query``; card holders and recently contacted users never appear.

    ``excluded`` counts users removed by each rule in order: ``card_holder``,
    ``contacted_recently`` (of those left), then ``outside_filter`` (segment, store, city).
    """
    if query.segment is not None and query.segment not in SEGMENTS:
        raise UnknownSegment(query.segment)
    frame = board.frame
    holders = frame["card_holder"].to_numpy()
    recent = frame["contacted_recently"].to_numpy() & ~holders
    keep = ~holders & ~recent
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
            "outside_filter": int((keep & ~wanted).sum()),
        },
    )
