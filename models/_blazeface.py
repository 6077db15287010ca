"""BlazeFace short-range anchors and box decoding, in plain numpy (shared with the converter).

The numbers are MediaPipe's ``face_detection_short_range.pbtxt`` options (0.10.14):
``SsdAnchorsCalculator`` with 4 layers, strides 8, 16, 16, 16, one aspect ratio plus an
interpolated scale per layer and ``fixed_anchor_size: true``, and
``TensorsToDetectionsCalculator`` with ``x/y/w/h_scale: 128``, ``reverse_output_order: true``,
6 keypoints and ``score_clipping_thresh: 100``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

INPUT_SIZE = 128
NUM_ANCHORS = 896
NUM_KEYPOINTS = 6
_STRIDES = (8, 16, 16, 16)
_ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 plus the interpolated scale
_SCORE_CLIP = 100.0


def ssd_anchors() -> NDArray[np.float32]:
    """Anchor centres, normalised to the 128x128 input, in the model's output order.

    Returns
    -------
    ndarray of shape (896, 2), float32
        ``(x, y)`` of each anchor centre in [0, 1]. The anchor size is fixed at 1, so the
        regressed widths and heights are already relative to the input.
    """
    centres: list[NDArray[np.float32]] = []
    layer = 0
    while layer < len(_STRIDES):
        stride = _STRIDES[layer]
        same = sum(1 for s in _STRIDES[layer:] if s == stride)
        cells = -(-INPUT_SIZE // stride)
        ys, xs = np.mgrid[0:cells, 0:cells].astype(np.float32)
        grid = np.stack([(xs + 0.5) / cells, (ys + 0.5) / cells], axis=-1).reshape(-1, 2)
        centres.append(np.repeat(grid, same * _ANCHORS_PER_LAYER, axis=0))
        layer += same
    anchors = np.concatenate(centres).astype(np.float32)
    assert anchors.shape == (NUM_ANCHORS, 2)
    return anchors


def decode(
    regressors: NDArray[np.float32], logits: NDArray[np.float32], anchors: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Turn raw model outputs into boxes, keypoints and scores in normalised input coordinates.

    Parameters
    ----------
    regressors : ndarray of shape (896, 16)
        ``(dx, dy, w, h)`` then 6 ``(dx, dy)`` keypoint offsets, in 128-px units.
    logits : ndarray of shape (896,)
        Face score logits.
    anchors : ndarray of shape (896, 2)
        From :func:`ssd_anchors`.

    Returns
    -------
    boxes : ndarray of shape (896, 4)
        ``(x0, y0, x1, y1)`` in [0, 1] of the 128x128 input (may spill outside).
    keypoints : ndarray of shape (896, 6, 2)
        ``(x, y)`` in the same frame.
    scores : ndarray of shape (896,)
        Sigmoid of the clipped logits.
    """
    raw = regressors.reshape(NUM_ANCHORS, 4 + 2 * NUM_KEYPOINTS) / np.float32(INPUT_SIZE)
    centre = raw[:, 0:2] + anchors
    half = raw[:, 2:4] / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4:].reshape(NUM_ANCHORS, NUM_KEYPOINTS, 2) + anchors[:, None, :]
    clipped = np.clip(logits.reshape(NUM_ANCHORS), -_SCORE_CLIP, _SCORE_CLIP)
    scores = 1.0 / (1.0 + np.exp(-clipped.astype(np.float64)))
    return (
        boxes.astype(np.float32),
        keypoints.astype(np.float32),
        scores.astype(np.float32),
    )
