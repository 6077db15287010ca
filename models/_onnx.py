"""Open an ONNX model once and check that it takes the input its wrapper will feed it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from skinlab.errors import ModelUnavailable

_FLOAT = "tensor(float)"


class CheckedSession:
    """A single-threaded CPU session whose one float32 input was checked at load time.

    Parameters
    ----------
    path : Path
        The ``.onnx`` file.
    input_name : str
        The input the wrapper feeds.
    input_shape : sequence of int
        Its exact shape, e.g. ``(1, 128, 128, 3)``.
    output_names : sequence of str
        Outputs to return from :meth:`run`, in that order.

    Raises
    ------
    ModelUnavailable
        If the file is missing, unreadable, or its input or outputs are not the expected ones.
    """

    def __init__(
        self,
        path: Path,
        input_name: str,
        input_shape: Sequence[int],
        output_names: Sequence[str],
    ) -> None:
        if not path.is_file():
            raise ModelUnavailable(f"Model file {path} is missing; run `skinlab models ensure`.")
        options = ort.SessionOptions()
        # One thread: stable latency on a 2-core box, and requests already run in parallel.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:
            raise ModelUnavailable(f"Cannot load {path.name}: {error}") from error
        inputs = self._session.get_inputs()
        found = [(i.name, list(i.shape), i.type) for i in inputs]
        wanted = [(input_name, list(input_shape), _FLOAT)]
        if found != wanted:
            raise ModelUnavailable(f"{path.name} takes {found}, expected {wanted}")
        available = {o.name for o in self._session.get_outputs()}
        if missing := [n for n in output_names if n not in available]:
            raise ModelUnavailable(f"{path.name} lacks outputs {missing}; has {sorted(available)}")
        self.path = path
        self.input_name = input_name
        self.input_shape = tuple(input_shape)
        self.output_names = list(output_names)

    def run(self, batch: NDArray[np.float32]) -> list[NDArray[np.float32]]:
        """Run the model on one input of the checked shape; outputs as float32 arrays."""
        if batch.shape != self.input_shape or batch.dtype != np.float32:
            raise ValueError(
                f"expected float32 {self.input_shape}, got {batch.dtype} {batch.shape}"
            )
        outputs = self._session.run(self.output_names, {self.input_name: batch})
        return [np.asarray(o, dtype=np.float32) for o in outputs]
