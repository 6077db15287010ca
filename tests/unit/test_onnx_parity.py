"""ONNX parity: float32 splits keep every prediction, double sums match regressors, a bad export
fails with the largest difference and its row."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnxruntime as ort
import pytest
from numpy.typing import NDArray
from onnx_tamper import shift_first_tree
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType

import training.skin as skin
from data.vocabulary import CONCERNS
from models.region_stats import FEATURE_NAMES
from training.config import SkinTrainConfig
from training.onnx_parity import (
    PARITY_ATOL,
    OnnxParityFailed,
    double_precision_regressor,
    float32_splits,
    parity,
    require_parity,
)
from training.skin_dataset import SkinTable


def _run(graph: bytes, x: NDArray[np.float32], output: int = 0) -> NDArray[np.float64]:
    options = ort.SessionOptions()
    options.log_severity_level = 3  # the converter declares the label output as shape (1)
    session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {"features": x})[output], dtype=np.float64)


def _convert(model: lgb.LGBMModel, n_features: int) -> bytes:
    graph = convert_lightgbm(
        model.booster_,
        initial_types=[("features", FloatTensorType([None, n_features]))],
        zipmap=False,
    )
    return bytes(graph.SerializeToString())


def _dense_rows(seed: int, rows: int = 3000) -> NDArray[np.float32]:
    """Features that are neighbouring float32 numbers (as large amounts in cents are): LightGBM
    puts its double thresholds halfway between two of them, which float32 cannot hold."""
    rng = np.random.default_rng(seed)
    bits = np.float32(1000.0).view(np.int32) + rng.integers(0, 3000, size=(rows, 6))
    return bits.astype(np.int32).view(np.float32)


def test_float32_splits_keep_every_prediction_and_let_onnx_agree() -> None:
    x = _dense_rows(0)
    signal = (x[:, 0] - 1000) + 0.5 * (x[:, 1] - 1000)
    y = (signal + np.random.default_rng(1).normal(0, 0.03, len(x)) > 0.13).astype(int)
    model = lgb.LGBMClassifier(
        n_estimators=150, num_leaves=15, n_jobs=1, verbose=-1, random_state=0
    )
    model.fit(x, y)
    before = np.asarray(model.predict_proba(x))[:, 1]
    plain = np.abs(_run(_convert(model, 6), x, 1)[:, 1] - before).max()
    float32_splits(model)
    after = np.asarray(model.predict_proba(x))[:, 1]
    np.testing.assert_array_equal(after, before)  # not one decision changed
    exported = _run(_convert(model, 6), x, 1)[:, 1]
    assert np.abs(exported - after).max() <= PARITY_ATOL < plain  # and ONNX now agrees


def test_double_sums_keep_a_big_regressor_within_the_tolerance() -> None:
    x = _dense_rows(2)
    noise = np.random.default_rng(3).normal(0, 5, len(x))
    y = np.clip((x[:, 0] - 1000) * 400 + (x[:, 2] - 1000) * 100 + noise, 0, 100)
    model = lgb.LGBMRegressor(n_estimators=400, n_jobs=1, verbose=-1, random_state=0)
    model.fit(x, y)
    unrounded = np.asarray(model.predict(x))
    float32_splits(model, leaves=True)
    original = np.asarray(model.predict(x))
    assert np.abs(original - unrounded).max() < 1e-4  # leaf values moved by float32 steps only
    float_graph = _run(_convert(model, 6), x).reshape(-1)
    graph = convert_lightgbm(
        model.booster_, initial_types=[("features", FloatTensorType([None, 6]))], zipmap=False
    )
    double_graph = _run(double_precision_regressor(graph).SerializeToString(), x).reshape(-1)
    assert np.abs(float_graph - original).max() > PARITY_ATOL  # float32 sums drift
    assert np.abs(double_graph - original).max() <= PARITY_ATOL


def test_the_report_names_the_largest_difference_and_its_row() -> None:
    original = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    exported = original + np.array([[0, 0], [0, 3e-5], [2e-6, 0]])
    report = parity(original, exported, rows=["u1", "u2", "u3"])
    assert report["worst_row"] == "u2" and report["worst_output"] == 1
    assert report["max_abs_diff"] == pytest.approx(3e-5) and not report["ok"]
    with pytest.raises(OnnxParityFailed) as failed:
        require_parity(report, "the test model", "测试模型")
    assert failed.value.code == "ONNX_PARITY_FAILED"
    assert "3e-05" in failed.value.message and "row u2" in failed.value.message
    assert failed.value.message_zh.startswith("测试模型的 ONNX 导出模型")
    assert "3e-05" in failed.value.message_zh and "u2" in failed.value.message_zh
    close = parity(original, original + 5e-6)
    assert close["ok"] and require_parity(close, "x", "x") is close
    one_nan = parity(np.array([0.1, np.nan]), np.array([0.1, 0.2]))
    assert not one_nan["ok"] and one_nan["worst_row"] == 1
    assert parity(np.array([np.nan]), np.array([np.nan]))["ok"]


@pytest.fixture(scope="module")
def heads() -> dict[str, lgb.LGBMRegressor]:
    rng = np.random.default_rng(4)
    features = rng.normal(size=(600, len(FEATURE_NAMES))).astype(np.float32)
    labels = np.clip(50 + 20 * features[:, : len(CONCERNS)], 0, 100).astype(np.float32)
    table = SkinTable(
        features,
        labels,
        ["forehead"] * 600,
        np.arange(600),
        ["a"] * 600,
        np.zeros(600, np.float32),
    )
    config = SkinTrainConfig.model_validate({"workers": 1, "lightgbm": {"n_estimators": 50}})
    return skin.fit_heads(table, config)


def _manifest() -> dict[str, object]:
    return {"version": "t", "feature_names": list(FEATURE_NAMES), "concerns": list(CONCERNS)}


def test_exported_skin_heads_match_lightgbm(
    heads: dict[str, lgb.LGBMRegressor], tmp_path: Path
) -> None:
    check = np.random.default_rng(5).normal(size=(300, len(FEATURE_NAMES))).astype(np.float32)
    report = skin.export_heads(heads, tmp_path, _manifest(), check)
    assert report["ok"] and report["max_abs_diff"] <= PARITY_ATOL and report["rows"] == 300
    assert report["worst_output"] in CONCERNS


def test_a_tampered_skin_head_fails_the_export(
    heads: dict[str, lgb.LGBMRegressor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = skin.head_to_onnx

    def tampered(model: lgb.LGBMRegressor) -> object:
        graph = honest(model)
        return shift_first_tree(graph, 0.01) if model is heads["acne"] else graph

    monkeypatch.setattr(skin, "head_to_onnx", tampered)
    check = np.random.default_rng(6).normal(size=(50, len(FEATURE_NAMES))).astype(np.float32)
    with pytest.raises(OnnxParityFailed) as failed:
        skin.export_heads(heads, tmp_path, _manifest(), check)
    details = failed.value.details
    assert details["worst_output"] == "acne" and details["max_abs_diff"] > 0.009
    assert "skin head acne" in failed.value.message and f"row {details['worst_row']}" in (
        failed.value.message
    )
