"""The propensity model on a local Dask cluster: same features, comparable model, same scores.

The cluster runs its two workers as threads of the test process (``processes=False``): it
starts in a tenth of a second where worker processes take ten on a busy machine, and LightGBM's
network state is per thread, so its Dask training runs the same way. ``skinlab score propensity``
is run once with ``--dask-scheduler local`` (worker processes) to cover that path too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
from data.user_codes import plain_ids
from models.propensity_calibration import apply_calibration
from models.propensity_features import build_features
from skinlab.cli import app
from training._dask_partitions import assemble, invite_routes, partition_events, split_file
from training._dask_tasks import ScoresOutputNotEmpty
from training.propensity import train_and_evaluate
from training.propensity_config import PropensityConfig
from training.propensity_dask import run_training_dask, score_users_dask
from training.propensity_data import card_snapshot, stack
from training.propensity_export import onnx_probability
from training.propensity_pipeline import load_events

USERS = 3000
BLOCK_USERS = 1000  # three files per table, so partitions gather rows from several files
PARTITIONS = 3
AS_OF = datetime(2025, 7, 1)
ARTIFACTS = Path(__file__).parents[2] / "models" / "artifacts" / "propensity"
_SHIPPED = PropensityConfig.load()
# 3,000 users buy few cards: a 180-day horizon gives about 70 training and 30 held-out positives
# (the shipped 90 days: 47 and 13, where two fits of the same rows differ by 0.04 in ROC AUC),
# and fewer, faster-learning trees with smaller leaves suit that size
CONFIG = PropensityConfig.load(
    train_as_of=["2024-07-01", "2024-10-01", "2025-01-01"],
    test_as_of="2025-07-01",
    horizon_days=180,
    lightgbm={
        **_SHIPPED.lightgbm.model_dump(),
        "n_estimators": 100,
        "learning_rate": 0.05,
        "min_child_samples": 20,
    },
)


@pytest.fixture(scope="module")
def events_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dask") / "events"
    write_simulation(SimulationConfig.load(block_users=BLOCK_USERS), USERS, out)
    return out


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_index()
    frame.index = frame.index.astype(object)  # pandas.concat makes an object index str
    return frame


def test_features_per_partition_equal_the_whole_build(events_dir: Path, client: Client) -> None:
    parts = partition_events(client, events_dir, PARTITIONS)
    built = client.gather([client.submit(build_features, part, AS_OF) for part in parts])
    assert all(len(frame) for frame in built)
    every = _sorted(pd.concat(built))
    assert every.index.is_unique
    expected = _sorted(build_features(load_events(events_dir), AS_OF))
    pd.testing.assert_frame_equal(every, expected, check_exact=True)


def test_orders_brought_by_an_invitee_invited_twice_go_to_the_first_inviter(
    events_dir: Path, tmp_path: Path
) -> None:
    """The simulator invites each invitee once; a brand's data need not, so add second invites
    from other users (some listed first, in a file of their own) and compare again."""
    tables = load_events(events_dir)
    invites, users = tables["invites"], tables["users"]["user_id"].to_numpy(False)
    rng = np.random.default_rng(5)
    again = invites.take(rng.choice(invites.num_rows, 40, replace=False))
    again = again.set_column(0, "inviter_id", pa.array(rng.choice(users, 40), pa.string()))
    folder = tmp_path / "events"
    for name, table in tables.items():
        (folder / name).mkdir(parents=True)
        pq.write_table(plain_ids(table), folder / name / "part-1.parquet")
    pq.write_table(plain_ids(again), folder / "invites" / "part-0.parquet")  # read first
    routes = invite_routes(sorted((folder / "invites").glob("*.parquet")), PARTITIONS)
    pieces = {
        name: [split_file(name, path, PARTITIONS, routes) for path in sorted(table.glob("*"))]
        for name, table in ((t.name, t) for t in folder.iterdir())
    }
    built = [
        build_features(assemble({n: [s[p] for s in splits] for n, splits in pieces.items()}), AS_OF)
        for p in range(PARTITIONS)
    ]
    expected = build_features(load_events(folder), AS_OF)
    assert expected["invites_orders_brought"].sum() > 0
    pd.testing.assert_frame_equal(_sorted(pd.concat(built)), _sorted(expected), check_exact=True)


def test_dask_model_scores_the_held_out_period_like_one_machine(
    events_dir: Path, client: Client, tmp_path: Path
) -> None:
    tables = load_events(events_dir)
    train = stack([card_snapshot(tables, m, CONFIG.horizon_days) for m in CONFIG.train_moments])
    test = card_snapshot(tables, CONFIG.test_moment, CONFIG.horizon_days)
    alone = train_and_evaluate(train, test, CONFIG, "card").metrics["lightgbm"]["roc_auc"]
    result = run_training_dask(client, events_dir, CONFIG, tmp_path, partitions=PARTITIONS)
    data, metrics = result.manifest["data"], result.manifest["metrics"]
    assert data["train"]["rows"] == len(train.labels) and data["test"]["rows"] == len(test.labels)
    assert data["fit_rows"] + data["calibration_rows"] == len(train.labels)
    assert metrics["lightgbm"]["roc_auc"] > 0.75
    assert abs(metrics["lightgbm"]["roc_auc"] - alone) <= 0.03
    assert result.manifest["onnx_parity"]["max_abs_diff"] <= 1e-5  # thresholds are float32
    assert len(result.manifest["top_users_reasons"]) == 5
    assert {"propensity.onnx", "calibrator.json", "manifest.json", "drift_reference.json"} <= {
        p.name for p in tmp_path.iterdir()
    }


def _onnx_scores(events_dir: Path) -> pd.Series:
    manifest = json.loads((ARTIFACTS / "manifest.json").read_text("utf-8"))
    names = [feature["name"] for feature in manifest["features"]]
    features = build_features(load_events(events_dir), AS_OF)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(ARTIFACTS / "propensity.onnx"), options)
    raw = onnx_probability(session, features[names].to_numpy(np.float32))
    calibrator = json.loads((ARTIFACTS / "calibrator.json").read_text("utf-8"))
    return pd.Series(apply_calibration(calibrator, raw), index=features.index.astype(object))


def test_partitioned_scores_equal_the_single_machine_onnx_scores(
    events_dir: Path, client: Client, tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    summary = score_users_dask(
        client, events_dir, ARTIFACTS, AS_OF.date(), out, partitions=PARTITIONS
    )
    assert len(list(out.glob("part-*.parquet"))) == summary["partitions"] == PARTITIONS
    scores = pq.read_table(out).to_pandas().set_index("user_id")
    assert scores.index.is_unique and len(scores) == summary["rows"]
    expected = _onnx_scores(events_dir)
    assert set(scores.index) == set(expected.index)
    got = scores["probability"].reindex(expected.index).to_numpy()
    assert np.abs(got - expected.to_numpy()).max() <= 1e-6
    assert (scores["probability"] != scores["raw_probability"]).any()
    assert 0 < scores["card_holder"].sum() < len(scores)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("not scores", "utf-8")
    with pytest.raises(ScoresOutputNotEmpty):
        score_users_dask(client, events_dir, ARTIFACTS, AS_OF.date(), tmp_path / "other")


def test_score_command_writes_partitioned_scores_with_a_local_cluster(
    events_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores"
    args = ["--events", str(events_dir), "--as-of", "2025-07-01", "--out", str(out)]
    result = CliRunner().invoke(app, ["score", "propensity", *args, "--partitions", "2"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["partitions"] == 2 and summary["rows"] > 0
    assert sorted(p.name for p in out.glob("*.parquet")) == [
        "part-00000.parquet",
        "part-00001.parquet",
    ]
    assert pq.read_table(out).num_rows == summary["rows"]
    assert json.loads((out / "_summary.json").read_text("utf-8"))["rows"] == summary["rows"]


def test_train_command_on_a_running_cluster_prints_only_its_summary(
    events_dir: Path, client: Client, tmp_path: Path, cli_env: Path
) -> None:
    config = tmp_path / "propensity.yaml"
    config.write_text(json.dumps(CONFIG.model_dump(mode="json")), "utf-8")  # JSON is YAML
    args = ["--events", str(events_dir), "--config", str(config), "--out", str(tmp_path / "m")]
    address = str(client.scheduler_info()["address"])  # an ADDRESS, like tcp://host:8786
    result = CliRunner().invoke(
        app, ["train", "propensity", *args, "--no-track", "--json", "--dask-scheduler", address]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # LightGBM's set-up lines went to stderr
    assert summary["data"]["partitions"] == 4 and summary["onnx_parity"]["ok"]
    alone = CliRunner().invoke(app, ["train", "propensity", "--dask-scheduler", address])
    assert alone.exit_code != 0 and "--events" in alone.output
