"""The propensity model on a seeded simulated brand: issue 5's targets on a held-out period.

One brand of 40,000 users (the shipped simulation config and seed) is simulated once; the card
model trains on three quarterly as-of dates in 2025 and is judged on 2025-10-01, whose 90-day
labels no training row has seen. The orders-only model uses that brand's orders alone.
"""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pyarrow as pa
import pytest

from models.propensity_calibration import apply_calibration
from training.propensity_config import PropensityConfig
from training.propensity_export import CALIBRATOR_FILE, MANIFEST_FILE, ONNX_FILE, onnx_probability
from training.propensity_pipeline import PropensityResult, run_training, simulated_events

USERS = 40_000


@pytest.fixture(scope="module")
def brand() -> dict[str, pa.Table]:
    return simulated_events(PropensityConfig.load(simulated_users=USERS))


@pytest.fixture(scope="module")
def card(brand: dict[str, pa.Table], tmp_path_factory: pytest.TempPathFactory) -> PropensityResult:
    out = tmp_path_factory.mktemp("card")
    return run_training(PropensityConfig.load(), out, events=brand, trained_on="simulated")


@pytest.fixture(scope="module")
def repurchase(
    brand: dict[str, pa.Table], tmp_path_factory: pytest.TempPathFactory
) -> PropensityResult:
    out = tmp_path_factory.mktemp("repurchase")
    return run_training(PropensityConfig.load(), out, orders=brand["orders"])


def test_lightgbm_beats_rfm_by_the_issue_margin(card: PropensityResult) -> None:
    metrics = card.manifest["metrics"]
    assert metrics["lightgbm"]["roc_auc"] - metrics["rfm"]["roc_auc"] >= 0.05
    assert metrics["lightgbm"]["roc_auc"] > metrics["logistic_rfm"]["roc_auc"]
    assert metrics["lightgbm"]["pr_auc"] > metrics["logistic_rfm"]["pr_auc"]


def test_lift_and_capture_at_the_top(card: PropensityResult) -> None:
    ours = card.manifest["metrics"]["lightgbm"]
    assert ours["lift_top10"] >= 3.0
    assert ours["capture_top5"] < ours["capture_top10"] < ours["capture_top20"] <= 1.0
    assert ours["lift_top5"] >= ours["lift_top10"] >= ours["lift_top20"]


def test_calibrated_on_the_held_out_period(card: PropensityResult) -> None:
    ours = card.manifest["metrics"]["lightgbm"]
    assert ours["ece"] <= 0.02
    assert ours["mean_predicted"] == pytest.approx(ours["base_rate"], rel=0.35)
    assert all(t["met"] for t in card.manifest["metrics"]["targets"].values())


def test_held_out_period_is_later_and_unseen(card: PropensityResult) -> None:
    data = card.manifest["data"]
    assert data["test"]["as_of"] == ["2025-10-01"]
    assert max(data["train"]["as_of"]) <= "2025-07-03"  # + 90 days <= 2025-10-01
    assert data["test"]["positives"] >= 150 and data["train"]["positives"] >= 400


def test_onnx_with_numpy_calibration_matches_lightgbm(card: PropensityResult) -> None:
    parity = card.manifest["onnx_parity"]
    assert parity["ok"] and parity["max_abs_diff"] <= 1e-5
    assert parity["max_abs_diff_calibrated"] <= 1e-5
    folder = card.artifacts[ONNX_FILE].parent
    session = ort.InferenceSession(str(folder / ONNX_FILE), providers=["CPUExecutionProvider"])
    calibrator = json.loads((folder / CALIBRATOR_FILE).read_text("utf-8"))
    features = card.run.test.features.iloc[:2000]
    served = apply_calibration(calibrator, onnx_probability(session, features.to_numpy(np.float32)))
    np.testing.assert_allclose(served, card.run.fitted.probability(features), rtol=0, atol=1e-5)


def test_manifest_card_and_reasons(card: PropensityResult) -> None:
    folder = card.artifacts[ONNX_FILE].parent
    manifest = json.loads((folder / MANIFEST_FILE).read_text("utf-8"))
    assert len(manifest["features"]) == len(card.run.fitted.feature_names)
    assert "simulated data only" in (folder / "MODEL_CARD.md").read_text("utf-8")
    reasons = next(iter(manifest["top_users_reasons"].values()))
    assert reasons and all(r["zh"] and r["en"] and r["log_odds"] > 0 for r in reasons)


def test_orders_only_beats_rfm_and_bgnbd_for_repurchase(repurchase: PropensityResult) -> None:
    metrics = repurchase.manifest["metrics"]
    assert metrics["lightgbm"]["roc_auc"] > metrics["rfm"]["roc_auc"]
    assert metrics["lightgbm"]["roc_auc"] > metrics["bgnbd"]["roc_auc"]
    assert metrics["bgnbd"]["params"]["converged"]
    assert metrics["bgnbd"]["roc_auc"] > 0.75  # the peer is a real one, not a broken fit
    assert repurchase.manifest["task"] == "repurchase"
