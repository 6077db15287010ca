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
# The input every exported head takes (training.skin.head_to_onnx names it so).
HEAD_INPUT = "features"


def onnx_session(path: Path | bytes) -> ort.InferenceSession:
    """A CPU inference session with one intra-op thread (stable latency on small machines)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    model = str(path) if isinstance(path, Path) else path
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _check_head(concern: Concern, model: onnx.ModelProto) -> None:
    """Refuse a head that does not take ``features`` float32 ``(n, n_features)``."""
    inputs = [(i.name, i.type.tensor_type) for i in model.graph.input]
    width = inputs[0][1].shape.dim[-1].dim_value if len(inputs) == 1 else None
    if (
        len(inputs) != 1
        or inputs[0][0] != HEAD_INPUT
        or inputs[0][1].elem_type != onnx.TensorProto.FLOAT
        or width != len(FEATURE_NAMES)
        or not model.graph.output
    ):
        raise ModelUnavailable(
            f"Head {concern} takes {[name for name, _ in inputs]}, "
            f"not '{HEAD_INPUT}' float32 (n, {len(FEATURE_NAMES)})."
        )


def merge_heads(paths: dict[Concern, Path]) -> bytes:
    """The heads side by side in one serialised graph: one input, one output per concern.

    One session run instead of eight saves about a millisecond per photo; every head keeps its
    own nodes and weights, so each output equals what that head's own session returns. Each
    head is renamed in place and appended to the first, never copied node by node: copying the
    tree ensembles through the protobuf API cost about 100 MB that the process kept.

    Raises
    ------
    ModelUnavailable
        If a head is missing, does not take ``features``, or uses other opsets than the first.
    """
    merged: onnx.ModelProto | None = None
    for concern, path in paths.items():
        if not path.is_file():
            raise ModelUnavailable(f"Head {concern} is missing: {path}.")
        model = onnx.load(str(path))
        _check_head(concern, model)
        graph = model.graph
        renamed = {t.name: f"{concern}/{t.name}" for t in graph.initializer}
        renamed |= {name: f"{concern}/{name}" for node in graph.node for name in node.output}
        renamed[graph.output[0].name] = concern
        for node in graph.node:
            node.name = f"{concern}/{node.name}"
            node.input[:] = [renamed.get(name, name) for name in node.input]
            node.output[:] = [renamed[name] for name in node.output]
        for tensor in graph.initializer:
            tensor.name = renamed[tensor.name]
        del graph.output[1:]
        graph.output[0].name = concern
        if merged is None:
            merged = model
            continue
        opsets = {(o.domain, o.version) for o in model.opset_import}
        if opsets != {(o.domain, o.version) for o in merged.opset_import}:
            raise ModelUnavailable(f"Head {concern} uses opsets {sorted(opsets)}, unlike the rest.")
        merged.graph.node.extend(graph.node)
        merged.graph.initializer.extend(graph.initializer)
        merged.graph.output.extend(graph.output)
    if merged is None:
        raise ModelUnavailable("No skin heads to load.")
    return bytes(merged.SerializeToString())


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
        paths = {concern: directory / f"{concern}.onnx" for concern in CONCERNS}
        self._session = onnx_session(merge_heads(paths))

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
        outputs = self._session.run(list(CONCERNS), {HEAD_INPUT: batch})
        return {
            concern: np.clip(np.asarray(raw, dtype=np.float32).reshape(-1), 0.0, 100.0)
            for concern, raw in zip(CONCERNS, outputs, strict=True)
        }
