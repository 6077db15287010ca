"""Shared user codes: every result stays the same, and ids outside ``users`` still resolve."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.as_of import sort_events, split_as_of
from data.simulation_config import SimulationConfig
from data.simulator import simulate
from data.user_codes import dictionary_key, plain_ids, positions, share_user_codes
from models.propensity_features import build_features
from models.value_score import value_scores
from training.propensity_pipeline import load_events

MOMENTS = [datetime(2025, 1, 1), datetime(2025, 7, 1), datetime(2030, 1, 1)]


@pytest.fixture(scope="module")
def tables() -> dict[str, pa.Table]:
    simulated = simulate(SimulationConfig.load(), 800)
    simulated.pop("latent_traits")
    return sort_events(simulated)


@pytest.fixture(scope="module")
def coded(tables: dict[str, pa.Table]) -> dict[str, pa.Table]:
    return share_user_codes(tables)


def test_every_user_column_shares_one_dictionary_that_starts_with_the_users(
    tables: dict[str, pa.Table], coded: dict[str, pa.Table]
) -> None:
    assert coded["users"] is tables["users"]
    columns = [coded["orders"]["user_id"], coded["invites"]["inviter_id"]]
    columns.append(coded["invites"]["invitee_id"])
    keys = {dictionary_key(chunk) for column in columns for chunk in column.chunks}
    assert len(keys) == 1
    dictionary = columns[0].chunks[0].dictionary
    users = tables["users"]["user_id"].combine_chunks()
    assert dictionary.slice(0, len(users)).equals(users)
    for name in ("orders", "community_activity", "invites"):
        # same values, row for row, once decoded
        assert plain_ids(coded[name]).equals(plain_ids(tables[name]))


@pytest.mark.parametrize("moment", MOMENTS)
def test_features_value_scores_and_labels_are_unchanged(
    tables: dict[str, pa.Table], coded: dict[str, pa.Table], moment: datetime
) -> None:
    pd.testing.assert_frame_equal(build_features(coded, moment), build_features(tables, moment))
    pd.testing.assert_frame_equal(value_scores(coded, moment), value_scores(tables, moment))
    assert split_as_of(coded, moment, 90).labels.equals(split_as_of(tables, moment, 90).labels)


def test_ids_the_users_table_lacks_get_codes_after_the_users() -> None:
    users = pa.table({"user_id": ["a", "b"]})
    orders = pa.table({"user_id": ["b", "ghost", "a", "ghost", "other"], "amount": [1] * 5})
    coded = share_user_codes({"users": users, "orders": orders})["orders"]["user_id"]
    assert coded.to_pylist() == ["b", "ghost", "a", "ghost", "other"]
    assert coded.chunks[0].indices.to_pylist() == [1, 2, 0, 2, 3]
    assert positions(coded, pa.array(["other", "a", "nobody"])).tolist() == [-1, -1, 1, -1, 0]


def test_positions_on_one_dictionary_find_the_first_occurrence() -> None:
    users = pa.table({"user_id": ["u0", "u1", "u2", "u3"]})
    invites = pa.table({"inviter_id": ["u0", "u1", "u2"], "invitee_id": ["u3", "u2", "u3"]})
    orders = pa.table({"user_id": ["u3", "u0", "u2", "u3"]})
    coded = share_user_codes({"users": users, "invites": invites, "orders": orders})
    invitees = coded["invites"]["invitee_id"].combine_chunks()
    found = positions(coded["orders"]["user_id"], invitees)
    expected = positions(orders["user_id"], invites["invitee_id"].combine_chunks())
    assert found.tolist() == expected.tolist() == [0, -1, 1, 0]


def test_loaded_events_are_coded_and_give_the_same_features(
    tables: dict[str, pa.Table], tmp_path: Path
) -> None:
    for name, table in tables.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
    loaded = load_events(tmp_path)
    assert pa.types.is_dictionary(loaded["content"]["user_id"].type)
    assert not pa.types.is_dictionary(loaded["users"]["user_id"].type)
    moment = datetime(2025, 7, 1)
    expected = build_features(tables, moment)
    pd.testing.assert_frame_equal(build_features(loaded, moment), expected)
    assert np.isfinite(expected.to_numpy()).all()
