"""The learned skin heads: one ONNX regressor per concern, run by onnxruntime.

Each head maps a region's measurement row (``models.region_stats.FEATURE_NAMES``) to a 0-100
severity for that region. The folder holds ``manifest.json`` (version, feature names, training
data, metrics) and ``<concern>.onnx`` for every concern.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from numpy.typing import NDArray

from data.vocabulary import CONCERNS, Concern
from models.region_stats import FEATURE_NAMES
from skinlab.errors import ModelUnavailable

MANIFEST = "manifest.json"
# The input every exported head takes (training.skin.head_to_onnx).
_INPUT = "features"


def onnx_session(path: Path | bytes) -> ort.InferenceSession:
    """A CPU inference session with one intra-op thread (stable latency on small machines)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    model = str(path) if isinstance(path, Path) else path
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def merge_heads(heads: dict[Concern, onnx.ModelProto]) -> onnx.ModelProto:
    """The heads side by side in one graph: one input, one output per concern (its name).

    One session run instead of eight saves about a millisecond per photo; every head keeps its
    own nodes and weights, so each output equals what that head's own session returns.
    """
    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    outputs: list[onnx.ValueInfoProto] = []
    opsets: dict[str, int] = {}
    for concern, model in heads.items():
        graph = model.graph
        renamed = {i.name: f"{concern}/{i.name}" for i in graph.initializer}
        renamed |= {o: f"{concern}/{o}" for n in graph.node for o in n.output}
        renamed[graph.output[0].name] = concern
        for node in graph.node:
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            copy.name = f"{concern}/{node.name}"
            copy.input[:] = [renamed.get(name, name) for name in node.input]
            copy.output[:] = [renamed[name] for name in node.output]
            nodes.append(copy)
        for tensor in graph.initializer:
            moved = onnx.TensorProto()
            moved.CopyFrom(tensor)
            moved.name = renamed[tensor.name]
            initializers.append(moved)
        output = onnx.ValueInfoProto()
        output.CopyFrom(graph.output[0])
        output.name = concern
        outputs.append(output)
        for opset in model.opset_import:
            opsets[opset.domain] = max(opsets.get(opset.domain, 0), opset.version)
    first = next(iter(heads.values()))
    graph = onnx.helper.make_graph(
        nodes, "skin_heads", [first.graph.input[0]], outputs, initializer=initializers
    )
    merged = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid(d, v) for d, v in opsets.items()]
    )
    merged.ir_version = first.ir_version
    onnx.checker.check_model(merged)
    return merged


@dataclass(frozen=True)
class HeadsManifest:
    """What was trained, on what, and how well."""

    version: str
    feature_names: tuple[str, ...]
    concerns: tuple[Concern, ...]
    extra: dict[str, Any]

    @classmethod
    def read(cls, directory: Path) -> HeadsManifest:
        """Read ``manifest.json`` from a heads folder."""
        raw = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        return cls(
            version=str(raw["version"]),
            feature_names=tuple(raw["feature_names"]),
            concerns=tuple(raw["concerns"]),
            extra={
                k: v for k, v in raw.items() if k not in {"version", "feature_names", "concerns"}
            },
        )


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    """Write ``manifest.json`` into a heads folder (UTF-8, indented)."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    (directory / MANIFEST).write_text(text, encoding="utf-8")


class SkinHeads:
    """Loads the per-concern ONNX heads once and scores region feature rows.

    Parameters
    ----------
    directory : Path
        Folder with ``manifest.json`` and one ``<concern>.onnx`` per concern.
    """

    def __init__(self, directory: Path) -> None:
        if not (directory / MANIFEST).is_file():
            raise ModelUnavailable(f"No skin heads in {directory}; run `skinlab models ensure`.")
        self.manifest = HeadsManifest.read(directory)
        if self.manifest.feature_names != FEATURE_NAMES:
            raise ModelUnavailable(
                "The skin heads were trained on other measurements than this code computes; "
                "retrain with `skinlab train skin`."
            )
        self.version = self.manifest.version
        heads: dict[Concern, onnx.ModelProto] = {}
        for concern in CONCERNS:
            path = directory / f"{concern}.onnx"
            if not path.is_file():
                raise ModelUnavailable(f"Head {concern} is missing from {directory}.")
            model = onnx.load(str(path))
            inputs = [(i.name, i.type.tensor_type) for i in model.graph.input]
            width = inputs[0][1].shape.dim[-1].dim_value if len(inputs) == 1 else None
            if (
                len(inputs) != 1
                or inputs[0][0] != _INPUT
                or inputs[0][1].elem_type != onnx.TensorProto.FLOAT
                or width != len(FEATURE_NAMES)
                or not model.graph.output
            ):
                raise ModelUnavailable(
                    f"Head {concern} takes {[name for name, _ in inputs]}, "
                    f"not '{_INPUT}' float32 (n, {len(FEATURE_NAMES)})."
                )
            heads[concern] = model
        self._session = onnx_session(merge_heads(heads).SerializeToString())

    def predict(self, features: NDArray[np.float32]) -> dict[Concern, NDArray[np.float32]]:
        """Region scores per concern.

        Parameters
        ----------
        features : ndarray of shape (n_regions, n_features)

        Returns
        -------
        dict of Concern to ndarray of shape (n_regions,)
            Scores clipped to 0-100.
        """
        batch = np.ascontiguousarray(features, dtype=np.float32)
        outputs = self._session.run(list(CONCERNS), {_INPUT: batch})
        return {
            concern: np.clip(np.asarray(raw, dtype=np.float32).reshape(-1), 0.0, 100.0)
            for concern, raw in zip(CONCERNS, outputs, strict=True)
        }
