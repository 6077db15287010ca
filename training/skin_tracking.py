"""MLflow tracking of a skin-heads run (experiment ``skin-heads``): params, metrics, plots, model.

One ``start_run`` logs the config and data counts, the held-out metrics per concern
(``acne.spearman``, ``redness.mae_dark``...), the ONNX parity (``onnx_parity_max_abs``), the
plots of :mod:`training.skin_plots` under ``plots/``, the heads folder (``skin_heads/``, what
the registry serves), and the heads as one ONNX model with its signature and an input example
(five held-out region rows): ``features`` float32 ``(n_regions, n_features)`` in, ``scores``
``(n_regions, n_concerns)`` out, clipped to 0-100 as serving does. ``pip_requirements`` is
given so MLflow does not spend seconds inferring them.
"""

from __future__ import annotations

import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import mlflow.onnx
import numpy as np
import onnx
from mlflow.models import infer_signature
from numpy.typing import NDArray
from onnx import TensorProto, helper

from data.vocabulary import CONCERNS
from models.heads import SkinHeads
from models.region_stats import FEATURE_NAMES
from skinlab.settings import Settings
from training.skin_plots import HeldOutFaces, plot_run
from training.tracking import _flatten, set_experiment

SKIN_EXPERIMENT = "skin-heads"
INPUT_NAME = "features"
OUTPUT_NAME = "scores"


def combined_heads(directory: Path) -> onnx.ModelProto:
    """The ``<concern>.onnx`` heads of ``directory`` as one graph with one input and output.

    Returns
    -------
    onnx.ModelProto
        ``features`` float32 ``(n, n_features)`` in; ``scores`` float32 ``(n, n_concerns)``
        out, columns in ``CONCERNS`` order, clipped to 0-100 like ``SkinHeads.predict``.
    """
    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    outputs: list[str] = []
    opsets: dict[str, int] = {}
    heads = [onnx.load(str(directory / f"{concern}.onnx")) for concern in CONCERNS]
    for concern, loaded in zip(CONCERNS, heads, strict=True):
        head = onnx.compose.add_prefix(loaded, f"{concern}_")
        (source,), (result,) = head.graph.input, head.graph.output
        for node in head.graph.node:
            node.input[:] = [INPUT_NAME if name == source.name else name for name in node.input]
        nodes.extend(head.graph.node)
        initializers.extend(head.graph.initializer)
        outputs.append(result.name)
        for opset in head.opset_import:
            opsets[opset.domain] = max(opsets.get(opset.domain, 1), opset.version)
    nodes.append(helper.make_node("Concat", outputs, ["unclipped"], axis=1))
    if opsets.get("", 1) >= 11:  # Clip takes its bounds as inputs from opset 11 on
        for name, bound in (("low", 0.0), ("high", 100.0)):
            initializers.append(helper.make_tensor(name, TensorProto.FLOAT, [], [bound]))
        nodes.append(helper.make_node("Clip", ["unclipped", "low", "high"], [OUTPUT_NAME]))
    else:
        nodes.append(helper.make_node("Clip", ["unclipped"], [OUTPUT_NAME], min=0.0, max=100.0))
    graph = helper.make_graph(
        nodes,
        "skinlab-skin-heads",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [None, len(FEATURE_NAMES)])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None, len(CONCERNS)])],
        initializer=initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()]
    )
    model.ir_version = min(head.ir_version for head in heads)
    onnx.checker.check_model(model)
    return model


def _metrics(manifest: dict[str, Any]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for concern, values in manifest["metrics"].items():
        if isinstance(values, dict):
            for name, number in values.items():
                metrics[f"{concern}.{name}"] = float(number)
    metrics["onnx_parity_max_abs"] = float(manifest["onnx_parity_max_abs"])
    return metrics


def log_skin_run(
    settings: Settings,
    manifest: dict[str, Any],
    heads_dir: Path,
    faces: HeldOutFaces,
    importance: dict[str, NDArray[Any]],
    example: NDArray[np.float32],
) -> str:
    """Log one skin-heads training run; returns the MLflow run id.

    Parameters
    ----------
    settings : Settings
        Where the MLflow store is.
    manifest : dict
        The heads' manifest (config, data, metrics, ONNX parity).
    heads_dir : Path
        The exported heads folder.
    faces : HeldOutFaces
        The held-out faces the plots are drawn from.
    importance : dict of concern to ndarray of shape (n_features,)
        Each head's total gain per feature.
    example : ndarray of shape (n_rows, n_features)
        Region rows for the model's input example (the first five are logged).
    """
    set_experiment(settings, SKIN_EXPERIMENT)
    params: dict[str, Any] = {}
    _flatten("", {"config": manifest["config"], "data": manifest["data"]}, params)
    rows = np.ascontiguousarray(example[:5], dtype=np.float32)
    answers = SkinHeads(heads_dir).predict(rows)
    scores = np.stack([answers[c] for c in CONCERNS], axis=1)
    requirements = [f"onnxruntime=={version('onnxruntime')}", f"onnx=={version('onnx')}"]
    with mlflow.start_run(run_name=f"skin-heads-{manifest['version']}") as run:
        mlflow.set_tags({"model": "skin_heads", "trained_on": manifest["trained_on"]})
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics(_metrics(manifest))
        mlflow.log_artifacts(str(heads_dir), artifact_path="skin_heads")
        with tempfile.TemporaryDirectory() as scratch:
            for plot in plot_run(manifest["metrics"], faces, importance, Path(scratch)):
                mlflow.log_artifact(str(plot), artifact_path="plots")
        mlflow.onnx.log_model(
            combined_heads(heads_dir),
            name="model",
            signature=infer_signature(rows, scores),
            input_example=rows,
            pip_requirements=requirements,
        )
        return str(run.info.run_id)
