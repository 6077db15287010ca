"""``skinlab train propensity`` end to end: data in, evaluated and exported model out.

Three sources: a brand simulated on the spot (the default, ``config.simulated_users`` users
with ``config.seed``), a folder of event tables (``--events``, Parquet as ``skinlab simulate``
or ``skinlab ingest`` writes them), or one orders file (``--orders``, the generic minimum,
validated row by row), which trains the ``repurchase`` task.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from data.as_of import sort_events
from data.events import TABLES
from data.user_codes import share_user_codes
from skinlab.errors import InvalidInput
from training.drift_propensity import propensity_reference
from training.propensity import Task, TrainingRun, train_and_evaluate
from training.propensity_config import PropensityConfig
from training.propensity_data import card_snapshots, repurchase_snapshot, stack
from training.propensity_export import check_parity, to_onnx, write_artifacts

REQUIRED_EVENTS = ("users", "orders", "card_purchases")
EXAMPLE_USERS = 5


class MissingEventTables(InvalidInput):
    code = "MISSING_EVENT_TABLES"
    message = "The events folder lacks tables the propensity model needs."
    message_zh = "事件文件夹缺少倾向模型所需的表。"
    hint = "Write users, orders and card_purchases with `skinlab ingest` or `skinlab simulate`."


def _seconds(table: pa.Table) -> pa.Table:
    fields = [
        pa.field(f.name, pa.timestamp("s"), f.nullable) if pa.types.is_timestamp(f.type) else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields), safe=False)  # a millisecond export truncates to seconds


def load_events(folder: Path) -> dict[str, pa.Table]:
    """Event tables from ``folder/<table>/`` (partitioned) or ``folder/<table>.parquet``.

    Event tables come back in time order (``data.as_of.sort_events``), so the point-in-time
    cuts of every snapshot are slices of one copy.
    """
    tables: dict[str, pa.Table] = {}
    for name in TABLES:
        for path in (folder / name, folder / f"{name}.parquet"):
            if path.exists():
                # sorted one by one, so only one unsorted table is ever held with the rest
                # categorical columns stay dictionary-encoded: a third of the memory of strings
                # so are user ids (data.user_codes shares one dictionary among the tables)
                categories = [c.name for c in TABLES[name].columns if c.allowed or c.is_user_id]
                categories = [c for c in categories if name != "users" or c != "user_id"]
                table = pq.read_table(path, read_dictionary=categories)
                tables.update(sort_events({name: _seconds(table)}))
                del table
                break
    missing = [name for name in REQUIRED_EVENTS if name not in tables]
    if missing:
        raise MissingEventTables(
            f"{folder} has no {', '.join(missing)} table; found: {', '.join(tables) or 'none'}.",
            details={"missing": missing, "found": list(tables)},
        )
    return share_user_codes(tables)


def simulated_events(config: PropensityConfig) -> dict[str, pa.Table]:
    """The default brand: ``config.simulated_users`` users simulated with ``config.seed``."""
    from data.simulation_config import SimulationConfig
    from data.simulator import simulate

    tables = simulate(SimulationConfig.load(seed=config.seed), config.simulated_users)
    tables.pop("latent_traits")  # ground truth never reaches training
    return share_user_codes(sort_events(tables))


def _moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


@dataclass
class PropensityResult:
    """The run, its manifest (what the CLI prints) and where the artifacts went."""

    run: TrainingRun
    manifest: dict[str, Any]
    artifacts: dict[str, Path]


def run_training(
    config: PropensityConfig,
    out: Path,
    *,
    events: Mapping[str, pa.Table] | None = None,
    orders: pa.Table | None = None,
    trained_on: str = "simulated",
    n_jobs: int = 1,
) -> PropensityResult:
    """Build snapshots, train, evaluate on the held-out date, export ONNX and write ``out``.

    Parameters
    ----------
    config : PropensityConfig
        Dates, horizon and model parameters.
    out : Path
        Folder for ``propensity.onnx``, ``calibrator.json``, ``lightgbm.txt``,
        ``manifest.json`` and ``MODEL_CARD.md``.
    events, orders : optional
        Event tables (``card`` task) or an orders table alone (``repurchase`` task); with
        neither, a brand is simulated.
    """
    started = time.perf_counter()
    task: Task = "repurchase" if orders is not None else "card"
    if task == "card":
        tables = dict(events) if events is not None else simulated_events(config)
        trained_on = trained_on if events is not None else f"simulated:{config.simulated_users}"
    data_s = time.perf_counter() - started
    moments = [_moment(d) for d in sorted(config.train_as_of)]
    test_moment = _moment(config.test_as_of)
    if orders is not None:
        train = stack([repurchase_snapshot(orders, m, config.horizon_days) for m in moments])
        test = repurchase_snapshot(orders, test_moment, config.horizon_days)
    else:
        *snapshots, test = card_snapshots(tables, [*moments, test_moment], config.horizon_days)
        train = stack(snapshots)
        del snapshots
    features_s = time.perf_counter() - started - data_s
    run = train_and_evaluate(train, test, config, task, n_jobs=n_jobs)
    onnx_model = to_onnx(run.fitted)
    parity = check_parity(run.fitted, onnx_model, test.features)
    examples = test.features.iloc[
        (-run.fitted.probability(test.features)).argsort()[:EXAMPLE_USERS]
    ]
    manifest: dict[str, Any] = {
        "version": datetime.now(UTC).strftime("%Y%m%d%H%M%S"),
        "task": task,
        "trained_on": trained_on,
        "config": config.model_dump(mode="json"),
        "data": run.fitted.data,
        "metrics": run.metrics,
        "onnx_parity": parity,
        "top_users_reasons": dict(zip(examples.index, run.fitted.reasons(examples), strict=True)),
        "seconds": {
            "data": round(data_s, 2),
            "features": round(features_s, 2),
            **run.seconds,
            "total": round(time.perf_counter() - started, 2),
        },
    }
    matrix = train.features[run.fitted.feature_names]
    reference = propensity_reference(
        matrix,
        run.fitted.probability(matrix),
        model_version=manifest["version"],
        source=f"training snapshots {', '.join(manifest['data']['train']['as_of'])} ({trained_on})",
        details={"rows": len(train.labels), "positives": train.positives},
    )
    artifacts = write_artifacts(out, run.fitted, onnx_model, manifest, reference)
    return PropensityResult(run, manifest, artifacts)


def orders_config(config: PropensityConfig, as_of: date, horizon_days: int) -> PropensityConfig:
    """Orders-only dates: evaluate at ``as_of``, train one horizon earlier (labels end at it)."""
    return PropensityConfig.model_validate(
        {
            **config.model_dump(),
            "train_as_of": (as_of - timedelta(days=horizon_days),),
            "test_as_of": as_of,
            "horizon_days": horizon_days,
        }
    )
