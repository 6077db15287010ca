"""The propensity model on a Dask cluster: the same features, LightGBM's Dask interface, ONNX.

An events folder (``<table>/*.parquet`` as ``skinlab simulate`` writes it) is hash-partitioned
by user on the workers (:mod:`training._dask_partitions`); every partition goes through the
single-machine code unchanged (``card_snapshot``, ``build_features``).

Training fits :class:`lightgbm.dask.DaskLGBMClassifier` on the partitions where they lie and
converts it with ``to_local()``, so calibration, evaluation, the ONNX export and its parity check
are the single-machine ones. Users are held out for calibration by a seeded hash of their id
(all their snapshots together, like :func:`training.propensity.calibration_mask`, but decided
per partition); only their raw probabilities and labels, the RFM columns of the training rows,
the held-out scores and a sample of held-out users reach the client, never the whole matrix.

Scoring sends the exported ONNX model and calibrator to the workers; each partition writes
``part-NNNNN.parquet`` (user_id, probability, raw_probability, card_holder) itself. Workers read
the events folder and write the scores at the same paths: on a real cluster, a file system
every worker mounts.
"""

from __future__ import annotations

import json
import operator
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import pandas as pd
from dask.delayed import delayed
from distributed import Client, Future, LocalCluster
from lightgbm.dask import DaskLGBMClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from models.propensity_baselines import RFMScore, rfm_matrix
from models.propensity_calibration import Calibrator
from training import _dask_tasks as tasks
from training._dask_partitions import partition_events
from training.drift_propensity import propensity_reference
from training.onnx_parity import float32_splits
from training.propensity import FittedPropensity, NotEnoughLabels, TrainingRun
from training.propensity_config import PropensityConfig
from training.propensity_data import Snapshot
from training.propensity_export import check_parity, to_onnx, write_artifacts
from training.propensity_pipeline import PropensityResult

LOCAL = "local"
EXAMPLE_USERS = 5
SAMPLE_ROWS = 50_000  # rows the client gets: held-out (ONNX parity), training (drift reference)


@contextmanager
def dask_client(scheduler: str) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (``tcp://host:8786``), or of a local cluster.

    ``local`` starts two worker processes with one thread each and closes them afterwards;
    its scheduler serves the dashboard on a free port (8787 may belong to another cluster).
    """
    if scheduler != LOCAL:
        with Client(scheduler) as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(_stdout_to_stderr)
        yield client


def _stdout_to_stderr() -> None:
    """In a local worker process: LightGBM prints its network set-up to stdout (from C++
    too), and the workers of a local cluster share the command's stdout, so send it to stderr."""
    os.dup2(2, 1)


def default_partitions(client: Client) -> int:
    """Two partitions per worker: enough to balance, few enough to keep tasks large."""
    return 2 * max(1, len(client.scheduler_info()["workers"]))


@dataclass
class DaskTrainingRun(TrainingRun):
    """A :class:`TrainingRun` whose ``test`` is a sample; ``examples``: the top held-out users;
    ``train_sample``: up to ``SAMPLE_ROWS`` training rows drawn from every partition."""

    examples: pd.DataFrame = field(default_factory=pd.DataFrame)
    train_sample: pd.DataFrame = field(default_factory=pd.DataFrame)


def _dask_matrix(
    client: Client, parts: list[Future[dict[str, Any]]]
) -> tuple[da.Array, da.Array, list[str]]:
    """The fit rows of every partition as dask arrays ``x`` and ``y``, and the feature names."""
    shapes = client.gather([client.submit(tasks.shape, part) for part in parts])
    take = delayed(operator.getitem)
    pieces = [(take, part, shape) for part, (shape, _) in zip(parts, shapes, strict=True)]
    x = da.concatenate([da.from_delayed(f(p, "x"), s, dtype=np.float32) for f, p, s in pieces])
    y = da.concatenate([da.from_delayed(f(p, "y"), s[:1], dtype=np.int8) for f, p, s in pieces])
    return x, y, shapes[0][1]


def train_propensity_dask(
    client: Client, events_dir: Path, config: PropensityConfig, *, partitions: int | None = None
) -> DaskTrainingRun:
    """Train and evaluate the card propensity model on the cluster behind ``client``.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster; its workers must read ``events_dir`` at the same path.
    events_dir : Path
        A folder of event tables (``<table>/*.parquet`` or ``<table>.parquet``).
    config : PropensityConfig
        Dates, horizon, calibration and LightGBM parameters (the same as on one machine).
    partitions : int, optional
        Hash partitions of the users (default :func:`default_partitions`).

    Returns
    -------
    DaskTrainingRun
        ``fitted``: the local LightGBM model (``to_local()``), calibrator and baselines;
        ``metrics``: every held-out user; ``test``: a sample of at most ``SAMPLE_ROWS`` held-out
        users from all partitions (ONNX parity, input examples); ``examples``: the features of
        the five highest-scored held-out users.
    """
    started = time.perf_counter()
    parts = partition_events(client, events_dir, partitions or default_partitions(client))
    snapshots = [client.submit(tasks.snapshots, part, config) for part in parts]
    counts = client.gather([client.submit(tasks.counts, s) for s in snapshots])
    train_data = tasks.describe([c[0] for c in counts], config.train_moments)
    test_data = tasks.describe([c[1] for c in counts], [config.test_moment])
    for name, data, least in (("training", train_data, 10), ("held-out", test_data, 1)):
        if not least <= data["positives"] < data["rows"]:  # fit_propensity wants 10 buyers
            raise NotEnoughLabels(
                f"The {name} rows hold {data['positives']} positives in {data['rows']}.",
                details={"positives": data["positives"], "rows": data["rows"]},
            )
    features_s = time.perf_counter() - started
    x, y, names = _dask_matrix(
        client, [client.submit(tasks.fit_rows, s, config) for s in snapshots]
    )
    dask_model = DaskLGBMClassifier(
        client=client, **config.lightgbm.model_dump(), random_state=config.seed, verbose=-1
    )
    with warnings.catch_warnings():
        # lightgbm.dask passes the estimator's n_jobs (None unless set) to its trainer and warns
        # that it ignores it, on every fit: threads are the Dask workers' own
        warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored", UserWarning)
        model = float32_splits(dask_model.fit(x, y).to_local())
    fit_s = time.perf_counter() - started - features_s
    shared_model = client.scatter(model, broadcast=True)
    local = client.gather(
        [client.submit(tasks.calibration_rows, s, shared_model, config) for s in snapshots]
    )
    raw, held_y = (np.concatenate([part[key] for part in local]) for key in ("raw", "y"))
    rfm_rows = pd.concat([part["rfm"] for part in local])
    logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    logistic.fit(rfm_matrix(rfm_rows), np.concatenate([part["labels"] for part in local]))
    calibrator = Calibrator(config.calibration).fit(raw, held_y)
    fitted = FittedPropensity(model, calibrator, names, RFMScore().fit(rfm_rows), logistic)
    shared = client.scatter(fitted, broadcast=True)
    scores = pd.concat(
        client.gather([client.submit(tasks.held_out_scores, s, shared) for s in snapshots])
    )
    metrics, curves = tasks.evaluate_scores(scores)
    fitted.data = {
        "train": train_data,
        "fit_rows": train_data["rows"] - len(raw),
        "calibration_rows": len(raw),
        "calibration_positives": int(held_y.sum()),
        "test": test_data,
        "partitions": len(parts),
        "workers": len(client.scheduler_info()["workers"]),
    }
    top = scores["lightgbm"].nlargest(EXAMPLE_USERS).index
    examples = pd.concat(client.gather([client.submit(tasks.rows_of, s, top) for s in snapshots]))
    share = -(-SAMPLE_ROWS // len(parts))
    heads = client.gather([client.submit(tasks.held_out_head, s, share) for s in snapshots])
    drawn = client.gather(
        [client.submit(tasks.train_draw, s, share, config.seed) for s in snapshots]
    )
    sample = Snapshot(
        pd.concat([h.features for h in heads]),
        np.concatenate([h.labels for h in heads]),
        (config.test_moment,),
    )
    seconds = {
        "features": round(features_s, 2),
        "fit": round(fit_s, 2),
        "evaluate": round(time.perf_counter() - started - features_s - fit_s, 2),
    }
    return DaskTrainingRun(
        "card", fitted, metrics, curves, sample, seconds, examples.loc[top], pd.concat(drawn)
    )


def run_training_dask(
    client: Client,
    events_dir: Path,
    config: PropensityConfig,
    out: Path,
    *,
    partitions: int | None = None,
    trained_on: str = "events",
) -> PropensityResult:
    """:func:`train_propensity_dask`, then the single-machine export to ``out``.

    The manifest is :func:`training.propensity_pipeline.run_training`'s; the ONNX parity is
    checked on the run's sample of held-out users, the drift reference summarises its sample of
    training rows.
    """
    started = time.perf_counter()
    run = train_propensity_dask(client, events_dir, config, partitions=partitions)
    onnx_model = to_onnx(run.fitted)
    reasons = run.fitted.reasons(run.examples)
    manifest: dict[str, Any] = {
        "version": datetime.now(UTC).strftime("%Y%m%d%H%M%S"),
        "task": run.task,
        "trained_on": trained_on,
        "config": config.model_dump(mode="json"),
        "data": run.fitted.data,
        "metrics": run.metrics,
        "onnx_parity": check_parity(run.fitted, onnx_model, run.test.features),
        "top_users_reasons": dict(zip(run.examples.index, reasons, strict=True)),
        "seconds": {**run.seconds, "total": round(time.perf_counter() - started, 2)},
    }
    train, sample = run.fitted.data["train"], run.train_sample
    reference = propensity_reference(
        sample,
        run.fitted.probability(sample),
        model_version=manifest["version"],
        source=f"a sample of the training snapshots {', '.join(train['as_of'])} ({trained_on})",
        details={"rows": train["rows"], "positives": train["positives"], "sample": len(sample)},
    )
    artifacts = write_artifacts(out, run.fitted, onnx_model, manifest, reference)
    return PropensityResult(run, manifest, artifacts)


def score_users_dask(
    client: Client,
    events_dir: Path,
    artifacts_dir: Path,
    as_of: date,
    out_dir: Path,
    *,
    partitions: int | None = None,
) -> dict[str, Any]:
    """Score every user known before ``as_of`` with the exported model, one file per partition.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster; its workers read ``events_dir`` and write ``out_dir``.
    events_dir : Path
        A folder of event tables, as for training.
    artifacts_dir : Path
        A model folder (``propensity.onnx``, ``calibrator.json``, ``manifest.json``), read here
        and sent to the workers.
    as_of : date
        Features are built from events strictly before midnight of this day.
    out_dir : Path
        Gets ``part-NNNNN.parquet`` (``user_id``, ``probability``, ``raw_probability``,
        ``card_holder``) and ``_summary.json``; an earlier scoring run there is replaced.

    Returns
    -------
    dict
        ``rows``, ``partitions``, ``seconds``, ``as_of``, ``model_version`` and ``out``.
    """
    started = time.perf_counter()
    model = tasks.ShippedModel.load(artifacts_dir)
    tasks.prepare_output(out_dir)
    moment = datetime(as_of.year, as_of.month, as_of.day)
    parts = partition_events(client, events_dir, partitions or default_partitions(client))
    shared = client.scatter(model, broadcast=True)
    written = [
        client.submit(tasks.score_partition, part, shared, moment, out_dir, p)
        for p, part in enumerate(parts)
    ]
    summary: dict[str, Any] = {
        "rows": sum(client.gather(written)),
        "partitions": len(parts),
        "seconds": round(time.perf_counter() - started, 2),
        "as_of": as_of.isoformat(),
        "model_version": model.version,
        "out": str(out_dir),
    }
    (out_dir / tasks.SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return summary
