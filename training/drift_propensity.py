"""Drift of the propensity model: today's scoring board against the training snapshots.

The reference is the training matrix (every snapshot at the ``train_as_of`` dates, card
holders excluded, as the model was fitted) and the calibrated probability the model gives each
of its rows. ``skinlab train propensity`` writes it beside the model; for a model trained on the
default simulated brand, :func:`shipped_reference` rebuilds it from the config in its manifest
(same seed, users and dates, so the same rows) and the shipped ONNX model and calibrator.

The current data is the board :func:`models.ranking.build_board` scores at the end of the
events, without the card holders (the model never scores them).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from models.propensity_reasons import feature_label
from models.propensity_scorer import PropensityScorer
from models.ranking import build_board
from skinlab.errors import InvalidInput
from training.drift import drift_report
from training.drift_reference import DriftReference, reference_from_columns
from training.propensity_config import PropensityConfig
from training.propensity_data import card_snapshot, stack

MODEL = "propensity"
SCORE = "probability"
SCORE_LABEL = {"en": "calibrated probability", "zh": "校准后概率"}


class NotSimulated(InvalidInput):
    code = "REFERENCE_NOT_REBUILDABLE"
    message = "Only a model trained on the simulated brand can have its reference rebuilt."
    message_zh = "只有基于模拟数据训练的模型才能重建参照分布。"
    hint = "Retrain with `skinlab train propensity`, which writes the reference."


def propensity_reference(
    features: pd.DataFrame,
    probability: np.ndarray,
    *,
    model_version: str,
    source: str,
    details: Mapping[str, Any] | None = None,
) -> DriftReference:
    """Summarise the training matrix, shape ``(n_rows, n_features)``, and its probabilities."""
    labels: dict[str, Mapping[str, str]] = {str(n): feature_label(str(n)) for n in features}
    labels[SCORE] = SCORE_LABEL
    return reference_from_columns(
        MODEL,
        model_version,
        source,
        {str(name): features[name].to_numpy(np.float64) for name in features.columns},
        {SCORE: probability},
        labels=labels,
        details=details,
    )


def shipped_reference(folder: Path) -> DriftReference:
    """Rebuild the reference of the model in ``folder`` from its simulated training data.

    Raises
    ------
    NotSimulated
        If the manifest says the model was trained on anything but the simulated brand.
    """
    from training.propensity_pipeline import simulated_events

    scorer = PropensityScorer(folder)
    trained_on = str(scorer.manifest.get("trained_on", ""))
    if not trained_on.startswith("simulated:") or scorer.task != "card":
        raise NotSimulated(f"{folder} was trained on {trained_on or 'unknown data'}.")
    config = PropensityConfig.model_validate(scorer.manifest["config"])
    tables = simulated_events(config)
    train = stack([card_snapshot(tables, m, config.horizon_days) for m in config.train_moments])
    expected = scorer.manifest.get("data", {}).get("train", {}).get("rows")
    if expected is not None and int(expected) != len(train.labels):
        raise NotSimulated(
            f"Rebuilt {len(train.labels)} training rows, the manifest says {expected}: the "
            "simulator changed since the model was trained."
        )
    features = train.features[scorer.feature_names]
    return propensity_reference(
        features,
        scorer.probability(features),
        model_version=scorer.version,
        source=(
            f"training snapshots {', '.join(str(d) for d in sorted(config.train_as_of))} of the "
            f"simulated brand ({config.simulated_users} users, seed {config.seed}), rebuilt and "
            "scored by the shipped ONNX model and calibrator"
        ),
        details={"rows": len(train.labels), "positives": train.positives},
    )


def current_board(
    tables: Mapping[str, pa.Table], scorer: PropensityScorer
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The board's features and probabilities (card holders left out) and facts about it."""
    board = build_board(tables, scorer)
    keep = ~board.frame["card_holder"].to_numpy(bool)
    features = board.features[keep]
    columns = {name: features[name].to_numpy(np.float64) for name in scorer.feature_names}
    columns[SCORE] = board.frame["probability"].to_numpy(np.float64)[keep]
    details = {
        "as_of": board.as_of.isoformat(),
        "users": int(keep.sum()),
        "card_holders_left_out": int((~keep).sum()),
        "scored_by": board.model_version,
    }
    return columns, details


def propensity_drift(folder: Path, tables: Mapping[str, pa.Table], events: str) -> dict[str, Any]:
    """The drift report of the board over ``tables`` against the model in ``folder``."""
    reference = DriftReference.load(folder)
    scorer = PropensityScorer(folder)
    columns, details = current_board(tables, scorer)
    details["model_version_in_use"] = scorer.version
    source = f"scoring board over the events in {events}, card holders left out"
    return drift_report(reference, columns, current_source=source, details=details)
