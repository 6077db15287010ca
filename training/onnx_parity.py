"""ONNX exports that answer like their LightGBM model, and the parity check that fails a run.

A training run passes only if, on the rows it checks, the ONNX export differs from the original
model by at most ``PARITY_ATOL`` (``1e-5``) everywhere; otherwise it raises
:class:`OnnxParityFailed`, naming the largest difference and the row, and nothing is written.

Two things make LightGBM and onnxruntime differ, and both are removed from the LightGBM model
itself before export, so the rounded model is "the original": it is what the run evaluates,
logs and ships.

- **Thresholds.** LightGBM splits on double thresholds, ONNX's tree ensembles on float32 ones: a
  feature between a threshold and its float32 rounding took the other branch (up to 0.04 apart
  on the propensity model, 0.01 % of users). :func:`float32_splits` rounds every threshold
  *down* to a float32. Features are float32, and no float32 lies between a threshold and its
  rounding down, so every decision and every prediction is unchanged, bit for bit.
- **Leaf sums** (regressors). onnxruntime's float ensemble adds the leaf values in float32: on
  the 0-100 skin scores, 400 trees drift up to 7e-5 from LightGBM's double sum.
  :func:`double_precision_regressor` makes the ensemble take its input cast to double, with
  thresholds and leaf values as double tensors (``ai.onnx.ml`` opset 3), so onnxruntime
  compares and adds in double like LightGBM; only the final score is a float32. The converter
  writes leaf values as float32, so ``float32_splits(leaves=True)`` first rounds them in the
  LightGBM model too (each by at most 6e-8 of its value: 4e-6 on a skin score).
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import lightgbm as lgb
import numpy as np
import onnx
from numpy.typing import ArrayLike
from onnx import TensorProto, helper, numpy_helper

from skinlab.errors import SkinlabError

PARITY_ATOL = 1e-5
ML_DOMAIN = "ai.onnx.ml"
DOUBLE_ATTRIBUTES = ("nodes_values", "target_weights", "base_values")

Model = TypeVar("Model", lgb.LGBMClassifier, lgb.LGBMRegressor)


class OnnxParityFailed(SkinlabError):
    """The ONNX export does not answer like the trained model: the run fails, nothing ships."""

    status = 500
    code = "ONNX_PARITY_FAILED"
    message = "The ONNX export differs from the trained model by more than 1e-5."
    message_zh = "ONNX 导出模型与训练所得模型的差异超过 1e-5。"
    hint = "A converter or onnxruntime change is the usual cause; the run was not saved."
    hint_zh = "通常由转换器或 onnxruntime 的变更引起；本次训练结果未保存。"


def float32_splits(model: Model, *, leaves: bool = False) -> Model:
    """Round the model's split thresholds down to float32 (and ``leaves`` to nearest), in place.

    Parameters
    ----------
    model : LGBMClassifier or LGBMRegressor
        A fitted model; its booster is replaced by the rounded one.
    leaves : bool
        Also round every leaf value to the nearest float32 (for
        :func:`double_precision_regressor`).

    Returns
    -------
    The same model, for chaining.
    """

    def thresholds(line: re.Match[str]) -> str:
        values = np.array(line.group(1).split(), dtype=np.float64)
        down = values.astype(np.float32)
        down = np.where(down > values, np.nextafter(down, np.float32(-np.inf)), down)
        return "threshold=" + " ".join(repr(float(v)) for v in down)

    def leaf_values(line: re.Match[str]) -> str:
        values = np.array(line.group(1).split(), dtype=np.float64).astype(np.float32)
        return "leaf_value=" + " ".join(repr(float(v)) for v in values)

    text = model.booster_.model_to_string()
    text = re.sub(r"^tree_sizes=.*\n", "", text, flags=re.M)  # byte offsets of the old text
    text = re.sub(r"^threshold=(.*)$", thresholds, text, flags=re.M)
    if leaves:
        text = re.sub(r"^leaf_value=(.*)$", leaf_values, text, flags=re.M)
    model._Booster = lgb.Booster(model_str=text)  # how lightgbm.dask's to_local() sets it too
    return model


def double_precision_regressor(graph: onnx.ModelProto) -> onnx.ModelProto:
    """The converted regressor with its tree ensemble run in double, in place.

    The graph's input stays float32 ``(n, n_features)`` and its output float32; in between, a
    ``Cast`` to double feeds the ``TreeEnsembleRegressor``, whose float attributes become the
    same values as double tensors.
    """
    ensembles = [node for node in graph.graph.node if node.op_type == "TreeEnsembleRegressor"]
    if len(ensembles) != 1:
        raise ValueError(f"expected one TreeEnsembleRegressor, found {len(ensembles)}")
    (ensemble,) = ensembles
    source = ensemble.input[0]
    cast = helper.make_node(
        "Cast", [source], [f"{source}_double"], to=TensorProto.DOUBLE, name="features_to_double"
    )
    ensemble.input[0] = cast.output[0]
    for attribute in [a for a in ensemble.attribute if a.name in DOUBLE_ATTRIBUTES]:
        values = np.asarray(helper.get_attribute_value(attribute), dtype=np.float32)
        ensemble.attribute.remove(attribute)
        tensor = numpy_helper.from_array(values.astype(np.float64), f"{attribute.name}_as_tensor")
        ensemble.attribute.append(helper.make_attribute(f"{attribute.name}_as_tensor", tensor))
    graph.graph.node.insert(0, cast)
    for opset in graph.opset_import:
        if opset.domain == ML_DOMAIN:
            opset.version = max(opset.version, 3)
    onnx.checker.check_model(graph)
    return graph


def parity(
    original: ArrayLike, exported: ArrayLike, *, rows: ArrayLike | None = None
) -> dict[str, Any]:
    """The largest ``|exported - original|`` and where it is.

    Parameters
    ----------
    original, exported : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The original model's and the export's answers on the same rows.
    rows : array-like of shape (n_samples,), optional
        A name for each row (a user id); the row's position otherwise.

    Returns
    -------
    dict
        ``rows``, ``max_abs_diff``, ``worst_row`` (its name), ``worst_output`` (column),
        ``original`` and ``exported`` at that cell, ``atol`` and ``ok``.
    """
    reference = np.asarray(original, dtype=np.float64)
    answer = np.asarray(exported, dtype=np.float64)
    if reference.shape != answer.shape or reference.size == 0:
        raise ValueError(f"cannot compare shapes {reference.shape} and {answer.shape}")
    reference, answer = reference.reshape(len(reference), -1), answer.reshape(len(answer), -1)
    diff = np.abs(answer - reference)
    both_nan = np.isnan(reference) & np.isnan(answer)
    diff = np.where(both_nan, 0.0, np.where(np.isnan(diff), np.inf, diff))  # NaN on one side
    row, column = np.unravel_index(int(np.argmax(diff)), diff.shape)
    name = row if rows is None else np.asarray(rows)[row]
    worst = float(diff[row, column])
    return {
        "rows": len(reference),
        "max_abs_diff": worst,
        "worst_row": name.item() if isinstance(name, np.generic) else name,
        "worst_output": int(column),
        "original": float(reference[row, column]),
        "exported": float(answer[row, column]),
        "atol": PARITY_ATOL,
        "ok": bool(worst <= PARITY_ATOL),
    }


def require_parity(report: dict[str, Any], what: str, what_zh: str) -> dict[str, Any]:
    """Return ``report`` (from :func:`parity`) if it passes; raise :class:`OnnxParityFailed`
    naming the model (``what``, ``what_zh``), the largest difference and its row."""
    if report["ok"]:
        return report
    worst, row = report["max_abs_diff"], report["worst_row"]
    raise OnnxParityFailed(
        f"The ONNX export of {what} differs from the trained model by {worst:.3g} (more than "
        f"{report['atol']:g}) at row {row}: {report['exported']!r} instead of "
        f"{report['original']!r}, over {report['rows']} checked rows. The run failed.",
        message_zh=f"{what_zh}的 ONNX 导出模型与训练所得模型相差 {worst:.3g}（超过 "
        f"{report['atol']:g}），位于第 {row} 行：{report['exported']!r}，应为 "
        f"{report['original']!r}（共检查 {report['rows']} 行）。本次训练失败。",
        details={"what": what, **report},
    )
