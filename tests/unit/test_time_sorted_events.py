"""Time-sorted event tables: cuts become slices, and every result stays the same."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from data.as_of import SORTED_BY, rows_before, sort_events, split_as_of
from data.simulation_config import SimulationConfig
from data.simulator import simulate
from models.propensity_features import build_features
from models.value_score import value_scores

MOMENTS = [datetime(2025, 1, 1), datetime(2025, 7, 1), datetime(2030, 1, 1)]


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    simulated = simulate(SimulationConfig.load(), 800)
    simulated.pop("latent_traits")
    return simulated


@pytest.fixture(scope="module")
def ordered(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return sort_events(tables)


def test_sorting_keeps_every_row_and_marks_the_column(
    tables: dict[str, pa.Table], ordered: dict[str, pa.Table]
) -> None:
    orders = ordered["orders"]
    stamps = orders["ordered_at"].cast(pa.int64()).to_numpy()
    assert np.all(np.diff(stamps) >= 0)
    assert (orders.schema.metadata or {})[SORTED_BY] == b"ordered_at"
    assert ordered["users"] is tables["users"]  # its order is the feature matrices' order


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_sorted_cut_is_a_slice_with_the_same_rows(
    tables: dict[str, pa.Table], ordered: dict[str, pa.Table], moment: datetime
) -> None:
    moment_s = int(pa.scalar(moment, pa.timestamp("s")).cast(pa.int64()).as_py())
    sliced = rows_before(ordered["community_activity"], "occurred_at", moment_s)
    filtered = rows_before(tables["community_activity"], "occurred_at", moment_s)
    assert sliced.num_rows == filtered.num_rows
    # a slice shares the parent's buffers: same address for its first column's data
    parent = ordered["community_activity"]["occurred_at"].chunks[0].buffers()[1]
    if sliced.num_rows:
        assert sliced["occurred_at"].chunks[0].buffers()[1].address == parent.address
    key = ["user_id", "occurred_at", "kind"]
    assert sliced.sort_by([(k, "ascending") for k in key]).equals(
        filtered.sort_by([(k, "ascending") for k in key])
    )


@pytest.mark.parametrize("moment", MOMENTS[:2])
def test_features_and_values_do_not_depend_on_row_order(
    tables: dict[str, pa.Table], ordered: dict[str, pa.Table], moment: datetime
) -> None:
    users = split_as_of(tables, moment, 90).labels["user_id"]
    pd.testing.assert_frame_equal(
        build_features(split_as_of(tables, moment, 90).history, moment, users),
        build_features(split_as_of(ordered, moment, 90).history, moment, users),
    )
    pd.testing.assert_frame_equal(value_scores(tables, moment), value_scores(ordered, moment))
