"""TFLite-versus-ONNX parity for the converted MediaPipe models (run in the conversion env).

The figures are the largest absolute differences between the TFLite interpreter and onnxruntime
on the same inputs: random ones in each model's input range, and real photos (for the face mesh,
a crop around the face the TFLite detector finds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models._blazeface import decode, ssd_anchors

Array = NDArray[np.float32]
Measure = Callable[[list[Array], list[Array]], dict[str, float]]
# Anchors scoring at least this are compared in absolute terms (see detector_diffs).
_LIVE_SCORE = 0.01
INFORMATIVE = ("raw_relative",)
"""Figures reported for information only; every other figure must stay within the tolerance."""


class ModelPair:
    """The same model in the TFLite interpreter and in onnxruntime."""

    def __init__(self, tflite: Path, onnx_path: Path) -> None:
        import onnxruntime as ort
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter: Any = Interpreter(model_path=str(tflite))
        self.interpreter.allocate_tensors()
        self.session: Any = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        self.input_name = str(self.session.get_inputs()[0].name)
        self.output_names = [str(d["name"]) for d in self.interpreter.get_output_details()]

    def tflite(self, x: Array) -> list[Array]:
        """Outputs of the TFLite interpreter, in its output order."""
        self.interpreter.set_tensor(self.interpreter.get_input_details()[0]["index"], x)
        self.interpreter.invoke()
        details = self.interpreter.get_output_details()
        return [np.asarray(self.interpreter.get_tensor(d["index"]), np.float32) for d in details]

    def onnx(self, x: Array) -> list[Array]:
        """Outputs of onnxruntime, in the TFLite output order."""
        outputs = self.session.run(self.output_names, {self.input_name: x})
        return [np.asarray(o, np.float32) for o in outputs]

    def max_diffs(self, inputs: Sequence[Array], measure: Measure) -> dict[str, float]:
        """The worst value of each figure of ``measure`` over ``inputs``."""
        worst: dict[str, float] = {}
        for x in inputs:
            for key, value in measure(self.tflite(x), self.onnx(x)).items():
                worst[key] = max(worst.get(key, 0.0), value)
        return worst


def _max_abs(a: Array, b: Array) -> float:
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def detector_diffs(ref: list[Array], new: list[Array]) -> dict[str, float]:
    """Decoded boxes and keypoints (128-px units) of plausible anchors, scores, raw relative.

    Raw outputs of anchors far from any face reach 1e4 on padding, where float32 round-off alone
    exceeds 1e-3; those anchors score 0 after MediaPipe's logit clipping, so they are compared
    relatively and the absolute check covers anchors scoring at least ``_LIVE_SCORE``.

    Parameters
    ----------
    ref, new : list of ndarray
        ``regressors`` (1, 896, 16) and ``classificators`` (1, 896, 1) from TFLite and ONNX.

    Returns
    -------
    dict of str to float
    """
    anchors = ssd_anchors()
    (ref_boxes, ref_kps, ref_scores), (new_boxes, new_kps, new_scores) = (
        decode(out[0][0], out[1][0, :, 0], anchors) for out in (ref, new)
    )
    live = ref_scores >= _LIVE_SCORE
    return {
        "boxes_keypoints_px": max(
            _max_abs(ref_boxes[live], new_boxes[live]), _max_abs(ref_kps[live], new_kps[live])
        )
        * 128,
        "scores": _max_abs(ref_scores, new_scores),
        "raw_relative": max(
            float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1.0)))
            for a, b in zip(ref, new, strict=True)
        ),
    }


def landmark_diffs(ref: list[Array], new: list[Array]) -> dict[str, float]:
    """Largest differences of the landmarks (192-px crop units) and the face-presence logit.

    Parameters
    ----------
    ref, new : list of ndarray
        Landmarks (1, 1, 1, 1404) and presence logit (1, 1, 1, 1) from TFLite and ONNX.

    Returns
    -------
    dict of str to float
    """
    return {"landmarks_px": _max_abs(ref[0], new[0]), "presence_logit": _max_abs(ref[1], new[1])}


def _photos(folder: Path) -> Iterator[Array]:
    """Each photo as float32 RGB in [0, 255], padded to a square (top-left anchored)."""
    import tensorflow as tf

    for path in sorted([*folder.glob("*.jpg"), *folder.glob("*.png")]):
        image = tf.io.decode_image(path.read_bytes(), channels=3, expand_animations=False)
        side = int(max(image.shape[0], image.shape[1]))
        padded = tf.image.pad_to_bounding_box(image, 0, 0, side, side)
        yield np.asarray(padded.numpy(), np.float32)


def _resize(image: Array, box: tuple[float, float, float, float], size: int) -> Array:
    """Crop a normalised ``(x0, y0, x1, y1)`` box of ``image`` and resize it to ``size``."""
    import tensorflow as tf

    x0, y0, x1, y1 = box
    crop = tf.image.crop_and_resize(image[None], [[y0, x0, y1, x1]], [0], [size, size])
    return np.asarray(crop.numpy(), np.float32)


def real_inputs(folder: Path, detector: ModelPair) -> tuple[list[Array], list[Array]]:
    """Model inputs made from real photos.

    Parameters
    ----------
    folder : Path
        Folder of ``.jpg`` and ``.png`` photos.
    detector : ModelPair
        The detector, whose TFLite run places each landmark crop.

    Returns
    -------
    detector_inputs : list of ndarray of shape (1, 128, 128, 3)
        Each photo, padded square and scaled to [-1, 1].
    landmark_inputs : list of ndarray of shape (1, 192, 192, 3)
        A square crop 1.5 times the best face box, in [0, 1], for photos with a face.
    """
    anchors = ssd_anchors()
    detector_inputs: list[Array] = []
    landmark_inputs: list[Array] = []
    for square in _photos(folder):
        x = _resize(square, (0.0, 0.0, 1.0, 1.0), 128) / 127.5 - 1.0
        detector_inputs.append(x)
        regressors, logits = detector.tflite(x)
        boxes, _, scores = decode(regressors[0], logits[0, :, 0], anchors)
        best = int(np.argmax(scores))
        if scores[best] < 0.5:
            continue
        (cx, cy), size = (boxes[best, :2] + boxes[best, 2:]) / 2, boxes[best, 2:] - boxes[best, :2]
        half = 0.75 * float(np.max(size))
        crop = (float(cx) - half, float(cy) - half, float(cx) + half, float(cy) + half)
        landmark_inputs.append(_resize(square, crop, 192) / 255.0)
    return detector_inputs, landmark_inputs


def random_inputs(
    shape: tuple[int, ...], low: float, high: float, n: int, seed: int
) -> list[Array]:
    """``n`` uniform random inputs in ``[low, high)``.

    Parameters
    ----------
    shape : tuple of int
    low, high : float
    n : int
    seed : int

    Returns
    -------
    list of ndarray of ``shape``, float32
    """
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, shape).astype(np.float32) for _ in range(n)]
