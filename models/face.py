"""Face detection with MediaPipe's BlazeFace short-range model, run by onnxruntime.

The model (``models/artifacts/face_detector.onnx``, converted by
``models.conversion.convert_mediapipe``) sees a 128x128 letterboxed frame, so alone it only finds
faces wider than about an eighth of the image's long side. Group photos have smaller faces, so
:meth:`FaceDetector.detect` also runs it on overlapping square tiles and merges everything with
one non-maximum suppression. Faces narrower than about a fifteenth of the image's short side, and
small faces in images under about 430 px on the short side, are still missed; the skin test needs
a large face anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

from models._blazeface import INPUT_SIZE, decode, ssd_anchors
from models._onnx import CheckedSession

__all__ = ["KEYPOINT_NAMES", "FaceDetection", "FaceDetector", "TileMode"]

KEYPOINT_NAMES = (
    "right_eye",
    "left_eye",
    "nose_tip",
    "mouth",
    "right_ear_tragion",
    "left_ear_tragion",
)
"""Order of :attr:`FaceDetection.keypoints`; left/right are the person's own (MediaPipe's)."""

_INPUT_NAME = "input"
_OUTPUTS = ("regressors", "classificators")
# MediaPipe's short-range graph suppresses at IoU 0.3.
_NMS_IOU = 0.3
# Tiles are squares of this fraction of the short side, overlapping by half, so a face up to 0.3
# of the short side lies whole in one tile (0.5 and 0.4 scored group faces lower, 0.35 missed the
# faces of multi_face.jpg).
_TILE_FRACTION = 0.6
# Tiles give a false positive many more windows to appear in (0.68 on the Hubble deep field,
# 0.59 on astronaut.png), while the faces they find in data/faces score 0.77 (a grainy black and
# white photo) to 0.98, so they need more confidence than the whole-frame pass.
_TILE_MIN_SCORE = 0.75
# Tiles are not magnified more than this: smaller images gain little from tiling.
_MAX_TILE_SCALE = 0.5
# Tile candidates must stay this many tile pixels (of 128) from an edge the tile cuts.
_TILE_MARGIN = 4.0
# "auto" searches tiles when no whole-frame face is wider than this fraction of the long side.
_AUTO_TILES = 1 / 3
# A box is a duplicate when this much of the smaller of it and a better box overlaps the other.
_CONTAINED = 0.6

TileMode = Literal["auto", "always", "never"]


@dataclass(frozen=True, eq=False)
class FaceDetection:
    """One detected face, in the pixel coordinates of the image given to the detector.

    Coordinates follow OpenCV: the centre of pixel ``(row, col)`` is at ``x = col, y = row``.

    Attributes
    ----------
    box : tuple of float
        ``(x0, y0, x1, y1)``, may extend past the image border.
    score : float
        Detection confidence in [0, 1].
    keypoints : ndarray of shape (6, 2), float32
        ``(x, y)`` of the right eye, left eye, nose tip, mouth centre, right ear tragion and left
        ear tragion (the person's right and left, see :data:`KEYPOINT_NAMES`).
    """

    box: tuple[float, float, float, float]
    score: float
    keypoints: NDArray[np.float32]

    @property
    def width(self) -> float:
        """Box width in pixels."""
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        """Box height in pixels."""
        return self.box[3] - self.box[1]


class _Candidates(NamedTuple):
    boxes: NDArray[np.float32]
    keypoints: NDArray[np.float32]
    scores: NDArray[np.float32]

    @staticmethod
    def join(parts: list[_Candidates]) -> _Candidates:
        return _Candidates(*(np.concatenate(arrays) for arrays in zip(*parts, strict=True)))

    def select(self, keep: NDArray[np.bool_] | NDArray[np.int64]) -> _Candidates:
        return _Candidates(self.boxes[keep], self.keypoints[keep], self.scores[keep])

    def moved(self, scale: float, x: float, y: float) -> _Candidates:
        """From the coordinates of an image resized by ``scale`` and cropped at ``(x, y)``."""
        offset = np.array([x, y], np.float32)
        return _Candidates(
            ((self.boxes + np.tile(offset, 2)) / np.float32(scale)).astype(np.float32),
            ((self.keypoints + offset) / np.float32(scale)).astype(np.float32),
            self.scores,
        )


def _tile_origins(length: int) -> list[int]:
    """Origins of 128-px tiles along one side, overlapping by about half."""
    if length <= INPUT_SIZE:
        return [0]
    count = 1 + math.ceil((length - INPUT_SIZE) / (INPUT_SIZE / 2))
    return [round(v) for v in np.linspace(0, length - INPUT_SIZE, count)]


def _clear_of_cut_edges(
    boxes: NDArray[np.float32], x: int, y: int, width: int, height: int
) -> NDArray[np.bool_]:
    """Boxes clear of the edges of tile ``(x, y)`` (128 px) that cut an image of that size.

    A face cut by such an edge lies whole in a neighbouring tile, and what such an edge cuts
    (a hand, a shoulder) is a common false positive.
    """
    low = np.array([x, y], np.float32) + _TILE_MARGIN
    high = np.array([x, y], np.float32) + INPUT_SIZE - _TILE_MARGIN
    low[[x == 0, y == 0]] = -np.inf
    high[[x + INPUT_SIZE >= width, y + INPUT_SIZE >= height]] = np.inf
    inside = np.all(boxes[:, :2] >= low, axis=1) & np.all(boxes[:, 2:] <= high, axis=1)
    return np.asarray(inside, dtype=np.bool_)


def _suppress(found: _Candidates, min_score: float) -> _Candidates:
    """Non-maximum suppression, then drop boxes that mostly contain or lie in a better one.

    IoU alone keeps a loose box around a small face whose tight box it contains (IoU about 0.25
    at twice the size); MediaPipe's weighted NMS would merge them.
    """
    xywh = np.concatenate([found.boxes[:, :2], found.boxes[:, 2:] - found.boxes[:, :2]], axis=1)
    keep = cv2.dnn.NMSBoxes(xywh.tolist(), found.scores.tolist(), min_score, _NMS_IOU)
    order = np.asarray(keep, dtype=np.int64).reshape(-1)
    order = order[np.argsort(-found.scores[order], kind="stable")]
    areas = np.prod(found.boxes[:, 2:] - found.boxes[:, :2], axis=1)
    kept: list[int] = []
    for i in order:
        if kept:
            others = found.boxes[kept]
            low = np.maximum(found.boxes[i, :2], others[:, :2])
            high = np.minimum(found.boxes[i, 2:], others[:, 2:])
            overlap = np.prod(np.clip(high - low, 0, None), axis=1)
            if np.any(overlap > _CONTAINED * np.minimum(areas[i], areas[kept])):
                continue
        kept.append(int(i))
    return found.select(np.asarray(kept, dtype=np.int64))


class FaceDetector:
    """BlazeFace short-range face detector.

    Parameters
    ----------
    model_path : Path
        ``face_detector.onnx``: input ``input`` (1, 128, 128, 3) NHWC float32 in [-1, 1].

    Raises
    ------
    ModelUnavailable
        If the model is missing or does not have the expected input and outputs.
    """

    def __init__(self, model_path: Path) -> None:
        self._session = CheckedSession(
            model_path, _INPUT_NAME, (1, INPUT_SIZE, INPUT_SIZE, 3), _OUTPUTS
        )
        self._anchors = ssd_anchors()

    def detect(
        self, rgb: NDArray[np.uint8], *, min_score: float = 0.5, tiles: TileMode = "auto"
    ) -> list[FaceDetection]:
        """Find faces, most confident first.

        Parameters
        ----------
        rgb : ndarray of shape (height, width, 3), uint8
            The photo, RGB.
        min_score : float, default 0.5
            Detections below this confidence are dropped (MediaPipe's default).
        tiles : {"auto", "always", "never"}, default "auto"
            Also search overlapping tiles (squares of half the short side) for faces too small
            for the whole-frame pass. "auto" does so only when the whole frame shows no face
            wider than a third of the long side: the whole-frame pass finds faces down to about
            an eighth of the long side, so beside a larger face it already finds every face at
            least 40% as wide (the size from which a second face matters to the quality gate).

        Returns
        -------
        list of FaceDetection
            In the pixel coordinates of ``rgb``; empty when there is no face.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or 0 in rgb.shape:
            raise ValueError(f"expected uint8 (height, width, 3), got {rgb.dtype} {rgb.shape}")
        if tiles not in ("auto", "always", "never"):
            raise ValueError(f"tiles must be 'auto', 'always' or 'never', got {tiles!r}")
        height, width = rgb.shape[:2]
        scale = INPUT_SIZE / max(height, width)
        whole = self._infer(_resize(rgb, scale), min_score).moved(scale, 0, 0)
        found = _suppress(whole, min_score)
        widest = float(np.max(found.boxes[:, 2] - found.boxes[:, 0], initial=0.0))
        if tiles == "always" or (tiles == "auto" and widest < _AUTO_TILES * max(height, width)):
            found = _suppress(_Candidates.join([whole, *self._tiles(rgb, min_score)]), min_score)
        # The model works in continuous coordinates (pixel edges at integers); OpenCV indexes
        # pixel centres, half a pixel further.
        return [
            FaceDetection(
                box=(
                    float(box[0] - 0.5),
                    float(box[1] - 0.5),
                    float(box[2] - 0.5),
                    float(box[3] - 0.5),
                ),
                score=float(score),
                keypoints=(keypoints - np.float32(0.5)).astype(np.float32),
            )
            for box, keypoints, score in zip(*found, strict=True)
        ]

    def _tiles(self, rgb: NDArray[np.uint8], min_score: float) -> list[_Candidates]:
        """Candidates from every tile, in image pixels; resizes the image once, not per tile."""
        scale = INPUT_SIZE / (_TILE_FRACTION * min(rgb.shape[:2]))
        if scale > _MAX_TILE_SCALE:
            return []
        small = _resize(rgb, scale)
        height, width = small.shape[:2]
        parts: list[_Candidates] = []
        for y in _tile_origins(height):
            for x in _tile_origins(width):
                tile = small[y : y + INPUT_SIZE, x : x + INPUT_SIZE]
                found = self._infer(tile, max(min_score, _TILE_MIN_SCORE)).moved(1.0, x, y)
                found = found.select(_clear_of_cut_edges(found.boxes, x, y, width, height))
                parts.append(found.moved(scale, 0, 0))
        return parts

    def _infer(self, image: NDArray[np.uint8], min_score: float) -> _Candidates:
        """Candidates above ``min_score`` in an image of at most 128 px a side, in its pixels."""
        height, width = image.shape[:2]
        pad_x, pad_y = (INPUT_SIZE - width) // 2, (INPUT_SIZE - height) // 2
        letterbox = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.uint8)
        letterbox[pad_y : pad_y + height, pad_x : pad_x + width] = image
        batch = (letterbox.astype(np.float32) / np.float32(127.5) - 1)[None]
        regressors, logits = self._session.run(batch)
        boxes, keypoints, scores = decode(regressors[0], logits[0, :, 0], self._anchors)
        keep = scores >= min_score
        found = _Candidates(boxes[keep] * INPUT_SIZE, keypoints[keep] * INPUT_SIZE, scores[keep])
        return found.moved(1.0, -pad_x, -pad_y)


def _resize(rgb: NDArray[np.uint8], scale: float) -> NDArray[np.uint8]:
    """``rgb`` resized by ``scale`` (area averaging when shrinking, as the model was fed)."""
    height, width = rgb.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(rgb, size, interpolation=method), dtype=np.uint8)
