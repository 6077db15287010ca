"""Data contracts on the brand simulator: determinism, schema, the known facts, real signal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from data import simulator
from data.as_of import split_as_of
from data.events import ROW_MODELS, TABLES
from data.simulation_config import SimulationConfig
from data.simulator import (
    TABLE_NAMES,
    OutputNotEmpty,
    read_simulation,
    simulate,
    write_simulation,
)

ARROW_TYPES = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "timestamp": pa.timestamp("s"),
    "bool": pa.bool_(),
}
USERS = 20_000
END = datetime(2026, 1, 1)


@pytest.fixture(scope="module")
def config() -> SimulationConfig:
    return SimulationConfig.load()


@pytest.fixture(scope="module")
def tables(config: SimulationConfig) -> dict[str, pa.Table]:
    return simulate(config, USERS)


@pytest.fixture(scope="module")
def frames(tables: dict[str, pa.Table]) -> Callable[[str], pd.DataFrame]:
    cache: dict[str, pd.DataFrame] = {}

    def frame(name: str) -> pd.DataFrame:
        if name not in cache:
            cache[name] = tables[name].to_pandas()
        return cache[name]

    return frame


def _members(frame: Callable[[str], pd.DataFrame]) -> pd.Series:
    truth = frame("latent_traits").set_index("user_id")
    return truth["community_joined_at"].notna()


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_same_tables_and_another_seed_differs(config: SimulationConfig) -> None:
    first, again = simulate(config, 1500), simulate(config, 1500)
    other = simulate(config.model_copy(update={"seed": config.seed + 1}), 1500)
    for name in TABLE_NAMES:
        assert first[name].equals(again[name]), name
    assert not first["orders"].equals(other["orders"])


def test_a_bigger_run_starts_with_the_smaller_one(config: SimulationConfig) -> None:
    small_blocks = config.model_copy(update={"block_users": 400})
    small, big = simulate(small_blocks, 400), simulate(small_blocks, 1000)
    assert big["users"].num_rows == 1000
    first_block = big["users"].slice(0, 400)
    assert small["users"].equals(first_block)


def test_partitioned_parquet_equals_the_in_memory_run(tmp_path: Path) -> None:
    config = SimulationConfig.load(block_users=400)
    summary = write_simulation(config, 1000, tmp_path, workers=2)
    written, expected = read_simulation(tmp_path), simulate(config, 1000)
    assert sorted(p.name for p in (tmp_path / "orders").iterdir()) == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    for name in TABLE_NAMES:
        assert written[name].equals(expected[name]), name
        assert summary["rows"][name] == expected[name].num_rows  # type: ignore[index]


def test_a_rerun_replaces_the_previous_run_whole(tmp_path: Path) -> None:
    config = SimulationConfig.load(block_users=400)
    out = tmp_path / "run"
    write_simulation(config, 1000, out)
    write_simulation(config, 300, out)
    assert [p.name for p in (out / "users").iterdir()] == ["part-00000.parquet"]
    assert read_simulation(out)["users"].num_rows == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_a_crash_mid_run_leaves_the_previous_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = SimulationConfig.load(block_users=400)
    out = tmp_path / "run"
    write_simulation(config, 300, out)
    real = simulator.simulate_block

    def crash_on_block_1(config: SimulationConfig, block: int, n: int) -> object:
        if block == 1:
            raise MemoryError("killed")
        return real(config, block, n)

    monkeypatch.setattr(simulator, "simulate_block", crash_on_block_1)
    with pytest.raises(MemoryError):
        write_simulation(config, 1000, out)
    assert read_simulation(out)["users"].num_rows == 300
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_unrelated_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(OutputNotEmpty):
        write_simulation(SimulationConfig.load(), 100, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


# --- schema ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_follow_the_event_contract(tables: dict[str, pa.Table], name: str) -> None:
    spec, table = TABLES[name], tables[name]
    assert tuple(table.column_names) == spec.names
    assert table.num_rows > 0
    users = tables["users"]["user_id"]
    for column in spec.columns:
        values = table[column.name]
        assert values.type == ARROW_TYPES[column.dtype], column.name
        if not column.nullable:
            assert values.null_count == 0, column.name
        present = values.drop_null()
        if column.allowed is not None:
            assert pc.all(pc.is_in(present, pa.array(column.allowed))).as_py(), column.name
        if column.dtype in ("int", "float", "timestamp") and len(present):
            low, high = pc.min_max(present).values()
            if column.minimum is not None:
                assert low.as_py() >= column.minimum, column.name
            if column.maximum is not None:
                assert high.as_py() <= column.maximum, column.name
            if column.dtype == "timestamp":
                assert low.as_py() >= datetime(2024, 1, 1) and high.as_py() < END, column.name
        if column.is_user_id:
            assert pc.all(pc.is_in(present, users)).as_py(), column.name
    model = ROW_MODELS[name]
    assert tuple(model.model_fields) == spec.names
    for row in table.slice(0, 50).to_pylist():
        model.model_validate(row)


def test_row_models_reject_a_phone_number_as_user_id() -> None:
    with pytest.raises(ValidationError):
        ROW_MODELS["orders"].model_validate(
            {"user_id": "13812345678", "ordered_at": "2025-01-01", "amount": 1.0}
        )


def test_ground_truth_is_a_separate_table(tables: dict[str, pa.Table]) -> None:
    hidden = {"engagement", "affluence", "sociability", "concern_severity"}
    for name in TABLES:
        assert not hidden & set(tables[name].column_names)
    assert hidden <= set(tables["latent_traits"].column_names)


# --- the known facts ---------------------------------------------------------------------------


def test_community_members_buy_three_times_or_more_and_others_under_two(
    frames: Callable[[str], pd.DataFrame],
) -> None:
    members = _members(frames)
    orders = frames("orders").groupby("user_id").size().reindex(members.index, fill_value=0)
    assert 0.2 < members.mean() < 0.5
    assert orders[members].mean() >= 3.0
    assert orders[~members].mean() < 2.0


def test_community_retention_is_about_70_percent(frames: Callable[[str], pd.DataFrame]) -> None:
    truth = frames("latent_traits")
    joined, left = truth["community_joined_at"], truth["community_left_at"]
    year = timedelta(days=365)
    eligible = joined.notna() & (joined <= END - year)
    stayed = left.isna() | (left > joined + year)
    assert eligible.sum() > 1000
    assert stayed[eligible].mean() == pytest.approx(0.70, abs=0.03)


def test_online_orders_near_100_store_near_1000_and_card_holders_over_10000(
    frames: Callable[[str], pd.DataFrame],
) -> None:
    orders = frames("orders")
    products = orders[orders["sku"] != "CARD-12M"]
    by_channel = products.groupby(products["channel"] == "store")["amount"].mean()
    assert by_channel[False] == pytest.approx(100, rel=0.08)
    assert by_channel[True] == pytest.approx(1000, rel=0.08)
    holders = set(frames("card_purchases")["user_id"])
    spend = orders.groupby("user_id")["amount"].sum()
    assert 0.01 < len(holders) / USERS < 0.08
    assert spend[spend.index.isin(holders)].mean() >= 10_000
    assert spend[~spend.index.isin(holders)].mean() < 1_000


def test_recruitment_touches_raise_community_joining(frames: Callable[[str], pd.DataFrame]) -> None:
    members = _members(frames)
    touches = frames("eba_touches")
    assert set(touches["touch"]) == {"service_call", "logistics_message", "qr_scan", "day10_call"}
    for touch in ("service_call", "qr_scan", "day10_call"):
        reached = set(
            touches.loc[(touches.touch == touch) & (touches.outcome == "reached"), "user_id"]
        )
        touched = members.index.isin(reached)
        assert members[touched].mean() > members[~touched].mean() + 0.05, touch


def test_latent_traits_drive_activity_invites_content_and_the_card(
    frames: Callable[[str], pd.DataFrame],
) -> None:
    truth = frames("latent_traits").set_index("user_id")
    holders = truth.index.isin(frames("card_purchases")["user_id"])
    assert truth.loc[holders, "affluence"].mean() > truth.loc[~holders, "affluence"].mean() + 0.5
    assert truth.loc[holders, "engagement"].mean() > truth.loc[~holders, "engagement"].mean()
    inviters = truth.index.isin(frames("invites")["inviter_id"])
    assert truth.loc[inviters, "sociability"].mean() > 0.5
    posts = frames("content").query("action == 'post'").groupby("user_id").size()
    kocs = posts[posts >= posts.quantile(0.9)].index
    assert truth.loc[kocs, "sociability"].mean() > 1.0
    tests = frames("skin_tests").merge(truth[["skin_concern"]], on="user_id")
    own = tests.apply(lambda r: r[f"{r['skin_concern']}_score"], axis=1)
    assert own.mean() > tests["spots_score"].mean() + 10


def test_observable_history_predicts_the_card_label(tables: dict[str, pa.Table]) -> None:
    """A plain model on point-in-time features finds real signal (the next slice does better)."""
    split = split_as_of(tables, datetime(2025, 4, 1), horizon_days=180)
    labels = split.labels.to_pandas().set_index("user_id")["label"]
    orders = split.history["orders"].to_pandas()
    activity = split.history["community_activity"].to_pandas()
    features = pd.DataFrame(index=labels.index)
    features["orders"] = orders.groupby("user_id").size()
    features["spend"] = np.log1p(orders.groupby("user_id")["amount"].sum())
    store = orders[orders.channel == "store"]
    features["store_spend"] = np.log1p(store.groupby("user_id")["amount"].sum())
    features["activity"] = np.log1p(activity.groupby("user_id")["count"].sum())
    features = features.fillna(0.0)
    model = LogisticRegression(max_iter=1000).fit(features, labels)
    auc = roc_auc_score(labels, model.predict_proba(features)[:, 1])
    assert labels.sum() > 100
    assert auc > 0.75


# --- as-of split and config --------------------------------------------------------------------


def test_as_of_split_keeps_only_the_past_and_drops_card_holders(
    tables: dict[str, pa.Table],
) -> None:
    as_of = datetime(2025, 6, 1)
    split = split_as_of(tables, as_of, horizon_days=90)
    assert "latent_traits" not in split.history
    for name, table in split.history.items():
        times = table[TABLES[name].time_column].to_pandas()
        assert (times < as_of).all(), name
    cards = tables["card_purchases"].to_pandas()
    active = cards[(cards.purchased_at < as_of) & (cards.purchased_at > as_of - timedelta(365))]
    assert split.holders_excluded == active.user_id.nunique() > 0
    labels = split.labels.to_pandas()
    assert not labels.user_id.isin(active.user_id).any()
    users = tables["users"].to_pandas()
    assert set(labels.user_id) == set(users.user_id[users.joined_at < as_of]) - set(active.user_id)
    bought = cards[(cards.purchased_at >= as_of) & (cards.purchased_at < as_of + timedelta(90))]
    positives = set(labels.loc[labels.label == 1, "user_id"])
    assert positives == set(bought.user_id) & set(labels.user_id)
    assert len(positives) > 20


def test_as_of_history_ignores_the_future(tables: dict[str, pa.Table]) -> None:
    as_of = datetime(2025, 6, 1)
    orders = tables["orders"].to_pandas()
    future = orders.ordered_at >= as_of
    shuffled = orders.copy()
    rng = np.random.default_rng(0)
    shuffled.loc[future, "amount"] = rng.permutation(orders.loc[future, "amount"].to_numpy())
    shuffled.loc[future, "user_id"] = rng.permutation(orders.loc[future, "user_id"].to_numpy())
    changed = dict(tables, orders=pa.Table.from_pandas(shuffled, preserve_index=False))
    before = split_as_of(tables, as_of, 90).history["orders"]
    after = split_as_of(changed, as_of, 90).history["orders"]
    assert before.equals(after.cast(before.schema))


def test_config_is_frozen_and_validated(config: SimulationConfig) -> None:
    with pytest.raises(ValidationError):
        config.seed = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="unknown concerns"):
        SimulationConfig.load(population={"concern_mix": {"freckles": 1.0}})
    with pytest.raises(ValidationError):
        SimulationConfig.load(start=date(2025, 1, 1), end=date(2025, 1, 10))
    with pytest.raises(ValidationError, match="touch_effects must name exactly"):
        SimulationConfig.load(recruitment={"touch_effects": {"qr_scan": 1.0}})
    with pytest.raises(ValueError, match="between 1 and"):
        simulate(config, 0)
