"""The steps of :mod:`training.propensity_dask` (private helpers).

Most functions take one partition's data (or its snapshots) and run single-machine code on it;
they live at module level so the workers import them instead of unpickling closures. The others
combine what the partitions sent back.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import onnxruntime as ort
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from data.as_of import current_holders
from models.propensity_baselines import RFM_COLUMNS, rfm_matrix
from models.propensity_calibration import apply_calibration
from models.propensity_features import build_features
from skinlab.errors import InvalidInput, ModelUnavailable
from training._dask_partitions import Partition, hash_users
from training.propensity import FittedPropensity, targets_met
from training.propensity_config import PropensityConfig
from training.propensity_data import Snapshot, card_snapshot, stack
from training.propensity_export import (
    CALIBRATOR_FILE,
    INPUT_NAME,
    MANIFEST_FILE,
    ONNX_FILE,
    onnx_probability,
)
from training.propensity_metrics import lift_curve, probability_metrics, ranking_metrics

_HASH_RANGE = 1_000_000
SUMMARY_FILE = "_summary.json"  # a leading underscore: Parquet readers skip it
Snapshots = tuple[Snapshot, Snapshot]
"""A partition's training snapshots (stacked over the training dates) and held-out snapshot."""


class ScoresOutputNotEmpty(InvalidInput):
    code = "OUTPUT_NOT_EMPTY"
    message = "The scores folder holds files that are not an earlier scoring run."
    message_zh = "评分输出文件夹中有不属于之前评分结果的文件。"


def calibration_held(user_ids: pd.Index, fraction: float, seed: int) -> np.ndarray:
    """True for users held out for calibration: a seeded hash, the same on every partition."""
    hashes = hash_users(pa.array(user_ids.to_numpy(), pa.string()), key=f"{seed:016d}"[-16:])
    return np.asarray(hashes % np.uint64(_HASH_RANGE) < round(fraction * _HASH_RANGE))


def snapshots(tables: Partition, config: PropensityConfig) -> Snapshots:
    """The partition's training and held-out snapshots, by the single-machine code."""
    train = stack([card_snapshot(tables, m, config.horizon_days) for m in config.train_moments])
    return train, card_snapshot(tables, config.test_moment, config.horizon_days)


def fit_rows(snapshots: Snapshots, config: PropensityConfig) -> dict[str, Any]:
    """The training rows LightGBM fits on (not held out for calibration), float32."""
    train = snapshots[0]
    held = calibration_held(train.features.index, config.calibration_fraction, config.seed)
    return {
        "x": train.features.to_numpy(np.float32)[~held],
        "y": train.labels[~held],
        "columns": list(train.features.columns),
    }


def calibration_rows(
    snapshots: Snapshots, model: lgb.LGBMClassifier, config: PropensityConfig
) -> dict[str, Any]:
    """Raw probabilities of the held-out rows, and the RFM columns the baselines are fitted on."""
    train = snapshots[0]
    held = calibration_held(train.features.index, config.calibration_fraction, config.seed)
    matrix = train.features.to_numpy(np.float32)[held]
    raw = np.zeros(0)
    if len(matrix):
        raw = np.asarray(model.predict_proba(matrix), dtype=np.float64)[:, 1]
    return {
        "raw": raw,
        "y": train.labels[held],
        "rfm": train.features[list(RFM_COLUMNS)],
        "labels": train.labels,
    }


def held_out_scores(snapshots: Snapshots, fitted: FittedPropensity) -> pd.DataFrame:
    """Label and every model's score of each held-out user, what the metrics need."""
    test = snapshots[1]
    return pd.DataFrame(
        {
            "y": test.labels,
            "lightgbm": fitted.probability(test.features),
            "lightgbm_uncalibrated": fitted.raw_probability(test.features),
            "rfm": fitted.rfm.score(test.features),
            "logistic_rfm": fitted.logistic.predict_proba(rfm_matrix(test.features))[:, 1],
        },
        index=test.features.index,
    )


def counts(snapshots: Snapshots) -> list[dict[str, int]]:
    """Rows, positives and excluded holders of the training and held-out snapshots."""
    return [
        {"rows": len(s.labels), "positives": s.positives, "holders": s.excluded_holders}
        for s in snapshots
    ]


def describe(counts: list[dict[str, int]], moments: list[datetime]) -> dict[str, Any]:
    """:meth:`training.propensity_data.Snapshot.describe` of all partitions together."""
    rows, positives = sum(c["rows"] for c in counts), sum(c["positives"] for c in counts)
    return {
        "as_of": [moment.date().isoformat() for moment in moments],
        "rows": rows,
        "positives": positives,
        "base_rate": round(positives / rows, 5) if rows else None,
        "card_holders_excluded": sum(c["holders"] for c in counts),
    }


def rows_of(snapshots: Snapshots, users: pd.Index) -> pd.DataFrame:
    """The held-out features of ``users`` found in this partition."""
    features = snapshots[1].features
    return features[features.index.isin(users)]


def train_draw(snapshots: Snapshots, rows: int, seed: int) -> pd.DataFrame:
    """A seeded random draw of ``rows`` training rows: the partition's share of a sample."""
    train = snapshots[0].features
    return train.sample(n=min(rows, len(train)), random_state=seed)


def held_out_head(snapshots: Snapshots, rows: int) -> Snapshot:
    """The first ``rows`` users of the held-out snapshot: a partition's share of a sample."""
    test = snapshots[1]
    return Snapshot(test.features.iloc[:rows], test.labels[:rows], test.as_of)


def shape(part: dict[str, Any]) -> tuple[tuple[int, int], list[str]]:
    return part["x"].shape, part["columns"]


def prepare_output(out_dir: Path) -> None:
    """An empty ``out_dir``; an earlier scoring run there (with its summary) is replaced."""
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / SUMMARY_FILE).is_file():
            raise ScoresOutputNotEmpty(
                f"{out_dir} is not empty and holds no scores ({SUMMARY_FILE}); "
                "choose another folder.",
                details={"out": str(out_dir)},
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def _session(onnx_model: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one Dask thread, one core
    options.log_severity_level = 3  # the converter declares the label output as shape (1)
    return ort.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class ShippedModel:
    """The exported model as bytes and numbers, sent once to every worker."""

    onnx: bytes
    calibrator: dict[str, Any]
    feature_names: list[str]
    version: str

    @classmethod
    def load(cls, folder: Path) -> ShippedModel:
        """Read ``folder`` (as ``skinlab train propensity`` writes it) and check the ONNX input."""
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text("utf-8"))
            calibrator = json.loads((folder / CALIBRATOR_FILE).read_text("utf-8"))
            onnx_model = (folder / ONNX_FILE).read_bytes()
            inputs = [(i.name, i.shape[-1], i.type) for i in _session(onnx_model).get_inputs()]
        except (OSError, ValueError) as error:
            raise ModelUnavailable(
                f"Cannot load the propensity model in {folder}: {error}"
            ) from error
        names = [f["name"] for f in manifest["features"]]
        if inputs != [(INPUT_NAME, len(names), "tensor(float)")]:
            raise ModelUnavailable(
                f"{folder / ONNX_FILE} takes {inputs}, not {len(names)} float features"
            )
        return cls(onnx_model, calibrator, names, str(manifest.get("version", "unknown")))


def score_partition(
    tables: Partition, model: ShippedModel, as_of: datetime, out_dir: Path, part: int
) -> int:
    """Score every user of the partition known before ``as_of``; write ``part-NNNNN.parquet``."""
    features = build_features(tables, as_of)
    raw = onnx_probability(_session(model.onnx), features[model.feature_names].to_numpy(np.float32))
    users = pa.array(features.index.to_numpy(), pa.string())
    holders = current_holders(tables["card_purchases"], as_of)
    scores = pa.table(
        {
            "user_id": users,
            "probability": apply_calibration(model.calibrator, raw),
            "raw_probability": raw,
            "card_holder": pc.is_in(users, value_set=holders),
        }
    )
    pq.write_table(scores, out_dir / f"part-{part:05d}.parquet", compression="zstd")
    return int(scores.num_rows)


def evaluate_scores(scores: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """:func:`training.propensity.evaluate` on gathered scores (``card`` task)."""
    y = scores["y"].to_numpy()
    metrics: dict[str, Any] = {
        "lightgbm": probability_metrics(y, scores["lightgbm"].to_numpy()),
        "lightgbm_uncalibrated": probability_metrics(y, scores["lightgbm_uncalibrated"].to_numpy()),
        "rfm": ranking_metrics(y, scores["rfm"].to_numpy()),
        "logistic_rfm": probability_metrics(y, scores["logistic_rfm"].to_numpy()),
    }
    for name in ("lightgbm_uncalibrated", "logistic_rfm"):
        metrics[name].pop("calibration_curve")
    metrics["targets"] = targets_met(metrics, "card")
    curves = {name: lift_curve(y, scores[name].to_numpy()) for name in ("lightgbm", "rfm")}
    return metrics, curves
