"""Tamper with an exported tree ensemble, to show that the ONNX parity check fails a run."""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

ENSEMBLES = ("TreeEnsembleClassifier", "TreeEnsembleRegressor")


def shift_first_tree(model: onnx.ModelProto | bytes, by: float) -> onnx.ModelProto:
    """A copy whose first tree's leaves are all ``by`` higher: every row moves by ``by`` (a
    regressor's score, a classifier's log-odds)."""
    graph = onnx.ModelProto()
    graph.CopyFrom(model if isinstance(model, onnx.ModelProto) else onnx.load_from_string(model))
    (ensemble,) = [node for node in graph.graph.node if node.op_type in ENSEMBLES]
    prefix = "class" if ensemble.op_type == "TreeEnsembleClassifier" else "target"
    attributes = {a.name: a for a in ensemble.attribute}
    first = np.asarray(helper.get_attribute_value(attributes[f"{prefix}_treeids"])) == 0
    for name in (f"{prefix}_weights", f"{prefix}_weights_as_tensor"):
        if name in attributes:
            value = helper.get_attribute_value(attributes[name])
            weights = numpy_helper.to_array(value) if name.endswith("_tensor") else np.array(value)
            weights = np.where(first, weights + by, weights).astype(weights.dtype)
            if name.endswith("_tensor"):
                attributes[name].t.CopyFrom(numpy_helper.from_array(weights, name))
            else:
                del attributes[name].floats[:]
                attributes[name].floats.extend(weights.tolist())
    return graph
