"""How a scored user from :mod:`models.ranking` is written out, for the API and the CLI alike."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from data.as_of import brand_time
from models._propensity_columns import NEVER_DAYS
from models.ranking import Ranking, UserBoard
from models.segments import SEGMENTS, segments_of
from models.value_score import DIMENSIONS

VALUE_COLUMNS = (*DIMENSIONS, "total")
_HISTORY_GROUPS: dict[str, tuple[str, ...]] = {
    "orders": ("orders_",),
    "store": ("visits_", "cards_"),
    "skin_tests": ("tests_",),
    "community": ("community_", "energy_", "tasks_"),
    "social": ("invites_", "content_"),
    "eba_touches": ("eba_",),
}


def _optional(value: Any) -> Any:
    return None if value is None or pd.isna(value) else value


def user_record(row: pd.Series, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """One board row as a plain dict: probability, value score, segments, reasons, place, touch.

    Parameters
    ----------
    row : pandas.Series
        A row of :attr:`UserBoard.frame` (its name is the user id).
    reasons : list of dict
        The user's reasons from :meth:`PropensityScorer.reasons`.
    """
    touch = _optional(row["last_touch_at"])
    city, store = _optional(row["city"]), _optional(row["store_id"])
    return {
        "user_id": str(row.name),
        "probability": round(float(row["probability"]), 5),
        "value": {name: round(float(row[name]), 1) for name in VALUE_COLUMNS},
        "segments": [
            {"code": code, "zh": SEGMENTS[code].zh, "en": SEGMENTS[code].en}
            for code in segments_of(row)
        ],
        "reasons": reasons,
        "city": None if city is None else str(city),
        "store_id": None if store is None else str(store),
        "last_touch_at": None if touch is None else brand_time(pd.Timestamp(touch).to_pydatetime()),
    }


def ranked_records(ranking: Ranking, reasons: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The ranked users as :func:`user_record` dicts with their ``rank`` (1 = best)."""
    return [
        {"rank": position, **user_record(row, why)}
        for position, ((_, row), why) in enumerate(
            zip(ranking.users.iterrows(), reasons, strict=True), start=1
        )
    ]


def _number(name: str, value: float) -> float | None:
    if name.endswith(("days_since_last", "days_since_first")) and value >= NEVER_DAYS:
        return None  # "never happened" is stored as a large number for the model, not shown
    return round(float(value), 2)


def history_summary(board: UserBoard, user_id: str) -> dict[str, Any]:
    """What the user did before the board's moment, from the model's own inputs.

    Grouped as orders, store, skin tests, community, social and EBA touches, plus the raw
    measures behind the value score (``value_measures``). ``None`` means "never".
    """
    row = board.features.loc[user_id].to_dict()
    summary: dict[str, Any] = {
        group: {
            name: _number(name, float(row[name]))
            for name in board.features.columns
            if name.startswith(prefixes)
        }
        for group, prefixes in _HISTORY_GROUPS.items()
    }
    raw = board.raw_values.loc[user_id].to_dict()
    summary["value_measures"] = {
        str(name): round(float(value), 2)
        for name, value in raw.items()
        if name not in VALUE_COLUMNS and np.isfinite(value)
    }
    return summary
