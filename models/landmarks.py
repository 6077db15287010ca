"""The 468-point MediaPipe face mesh, run by onnxruntime on a crop around a detected face.

The crop follows MediaPipe 0.10.14's ``face_detection_front_detection_to_roi`` and
``face_landmark_landmarks_to_roi`` graphs: a square 1.5 times the longer side of the face box,
centred on it and rotated so that the line from the right eye to the left eye is horizontal,
resampled to 192x192 with replicated borders and scaled to [0, 1]. A second pass re-crops around
the first pass's landmarks (what MediaPipe does from one video frame to the next), which makes
the mesh depend much less on the detector's box (see ``tests/unit/test_face.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from models._onnx import CheckedSession
from models.face import FaceDetection

__all__ = ["NUM_LANDMARKS", "FaceLandmarker", "FaceLandmarks"]

NUM_LANDMARKS = 468
_INPUT_NAME = "input_1"
_OUTPUTS = ("conv2d_21", "conv2d_31")  # landmarks (1, 1, 1, 1404), face presence logit
_CROP = 192
_ENLARGE = 1.5
# Outer corners of the right and left eye: MediaPipe's rotation keypoints for landmark crops.
_RIGHT_EYE_OUTER, _LEFT_EYE_OUTER = 33, 263


@dataclass(frozen=True, eq=False)
class FaceLandmarks:
    """The face mesh of one face.

    Attributes
    ----------
    points : ndarray of shape (468, 3), float32
        ``(x, y, z)``: x and y in pixels of the photo (OpenCV convention, pixel centres at
        integers); z is depth relative to the face centre in the same pixel scale, smaller is
        nearer the camera. Indices follow MediaPipe's canonical face mesh; left/right in index
        lists are the person's own.
    presence : float
        Probability in [0, 1] that the crop held a face.
    """

    points: NDArray[np.float32]
    presence: float


@dataclass(frozen=True)
class _Roi:
    """A rotated square of the photo: centre and side in pixels, angle of its x axis."""

    cx: float
    cy: float
    side: float
    angle: float

    @classmethod
    def around(
        cls, box: NDArray[np.float32], start: NDArray[np.float32], end: NDArray[np.float32]
    ) -> _Roi:
        """The enlarged square over ``box`` (x0, y0, x1, y1), turned along ``start -> end``."""
        angle = math.atan2(float(end[1] - start[1]), float(end[0] - start[0]))
        side = _ENLARGE * float(max(box[2] - box[0], box[3] - box[1]))
        return cls(float(box[0] + box[2]) / 2, float(box[1] + box[3]) / 2, side, angle)

    def to_image(self) -> NDArray[np.float64]:
        """2x3 affine from crop coordinates (0-192, pixel edges at integers) to photo pixels.

        The centre is in photo pixels with pixel centres at integers (OpenCV's convention).
        """
        scale = self.side / _CROP
        cos, sin = scale * math.cos(self.angle), scale * math.sin(self.angle)
        half = _CROP / 2
        return np.array(
            [
                [cos, -sin, self.cx - cos * half + sin * half],
                [sin, cos, self.cy - sin * half - cos * half],
            ]
        )


class FaceLandmarker:
    """MediaPipe face mesh (468 points).

    Parameters
    ----------
    model_path : Path
        ``face_landmarks.onnx``: input ``input_1`` (1, 192, 192, 3) NHWC float32 in [0, 1].
    refine : bool, default True
        Run a second pass on the crop given by the first pass's landmarks.

    Raises
    ------
    ModelUnavailable
        If the model is missing or does not have the expected input and outputs.
    """

    def __init__(self, model_path: Path, *, refine: bool = True) -> None:
        self._session = CheckedSession(model_path, _INPUT_NAME, (1, _CROP, _CROP, 3), _OUTPUTS)
        self.refine = refine

    def landmarks(self, rgb: NDArray[np.uint8], detection: FaceDetection) -> FaceLandmarks:
        """Face mesh of the face found by ``detection`` in ``rgb``.

        Parameters
        ----------
        rgb : ndarray of shape (height, width, 3), uint8
            The photo the detection was made on, RGB.
        detection : FaceDetection
            Its box and eye keypoints place the crop.

        Returns
        -------
        FaceLandmarks
            Points in the photo's pixel coordinates.
        """
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected uint8 (height, width, 3), got {rgb.dtype} {rgb.shape}")
        box = np.asarray(detection.box, np.float32)
        right_eye, left_eye = detection.keypoints[0], detection.keypoints[1]
        found = self._run(rgb, _Roi.around(box, right_eye, left_eye))
        if self.refine:
            xy = found.points[:, :2]
            bounds = np.concatenate([xy.min(axis=0), xy.max(axis=0)])
            roi = _Roi.around(bounds, xy[_RIGHT_EYE_OUTER], xy[_LEFT_EYE_OUTER])
            found = self._run(rgb, roi)
        return found

    def _run(self, rgb: NDArray[np.uint8], roi: _Roi) -> FaceLandmarks:
        """Landmarks of one crop, mapped back to the photo."""
        to_image = roi.to_image()
        # The model's crop coordinates put pixel edges at integers: crop pixel u is at u + 0.5.
        sampler = to_image.copy()
        sampler[:, 2] += to_image[:, :2] @ np.array([0.5, 0.5])
        crop = cv2.warpAffine(
            rgb,
            sampler,
            (_CROP, _CROP),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )
        batch = (np.asarray(crop, np.float32) / np.float32(255))[None]
        raw, logit = self._session.run(batch)
        mesh = raw.reshape(NUM_LANDMARKS, 3).astype(np.float64)
        xy = mesh[:, :2] @ to_image[:, :2].T + to_image[:, 2]
        z = mesh[:, 2:] * roi.side / _CROP
        points = np.concatenate([xy, z], axis=1).astype(np.float32)
        presence = 1.0 / (1.0 + math.exp(-float(np.clip(logit.reshape(-1)[0], -80, 80))))
        return FaceLandmarks(points=points, presence=presence)
