"""From a decoded photo to measurements: detect, landmark, align, mask and measure one face.

This is shared by serving (``models.analyzer``) and training (``training.skin_dataset``), so the
heads always learn from exactly what they will see in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from data.vocabulary import Region
from models.face import FaceDetection, FaceDetector
from models.landmarks import FaceLandmarker, FaceLandmarks
from models.measures import ALIGNED_SIZE, FaceMaps, compute_maps
from models.quality import crop_slices, measure_quality
from models.region_stats import region_features
from models.regions import AlignedFace, HeadPose, align_face, head_pose, region_masks
from models.results import QualityMeasures

# A second face counts only if it is at least this fraction of the largest face's width, so a
# face on a poster far behind the customer does not block the test.
SECOND_FACE_MIN_RATIO = 0.4


@dataclass(frozen=True)
class FaceMeasurement:
    """Everything measured on one photo; ``features`` is empty when no face was usable."""

    detections: tuple[FaceDetection, ...]
    quality: QualityMeasures
    landmarks: FaceLandmarks | None = None
    pose: HeadPose | None = None
    aligned: AlignedFace | None = None
    masks: dict[Region, NDArray[np.bool_]] | None = None
    skin: NDArray[np.bool_] | None = None
    maps: FaceMaps | None = None
    features: NDArray[np.float32] | None = None
    regions: tuple[Region, ...] = ()


def _to_photo(
    mask: NDArray[np.bool_],
    matrix: NDArray[np.floating],
    shape: tuple[int, ...],
    box: tuple[float, float, float, float],
) -> NDArray[np.bool_]:
    """An aligned-frame mask in photo pixels, drawn only inside the face box.

    The quality gate reads the skin mask only inside the face box, so only that crop is warped
    (the rest stays False); warping the whole photo cost more than the rest of the gate.
    """
    height, width = int(shape[0]), int(shape[1])
    rows, cols = crop_slices(box, width, height)
    to_aligned = np.asarray(matrix, dtype=np.float64).copy()
    # Crop pixel (x, y) is photo pixel (x + x0, y + y0).
    to_aligned[:, 2] += to_aligned[:, :2] @ np.array([cols.start, rows.start], np.float64)
    crop = cv2.warpAffine(
        mask.astype(np.uint8),
        to_aligned,
        (cols.stop - cols.start, rows.stop - rows.start),
        flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
    )
    photo = np.zeros((height, width), dtype=bool)
    photo[rows, cols] = np.asarray(crop, dtype=bool)
    return photo


def counted_faces(detections: list[FaceDetection]) -> list[FaceDetection]:
    """Faces that count for the one-face rule, largest first."""
    ordered = sorted(detections, key=lambda d: d.width, reverse=True)
    if not ordered:
        return []
    return [d for d in ordered if d.width >= SECOND_FACE_MIN_RATIO * ordered[0].width]


class FaceMeasurer:
    """Runs the face models and the skin measurements on one photo.

    Parameters
    ----------
    models_dir : Path
        Folder with ``face_detector.onnx`` and ``face_landmarks.onnx``.
    """

    def __init__(self, models_dir: Path) -> None:
        self.detector = FaceDetector(models_dir / "face_detector.onnx")
        self.landmarker = FaceLandmarker(models_dir / "face_landmarks.onnx")

    def locate(self, rgb: NDArray[np.uint8]) -> tuple[list[FaceDetection], FaceLandmarks | None]:
        """Detected faces (largest first) and the landmarks of the largest one."""
        faces = counted_faces(self.detector.detect(rgb))
        if not faces:
            return faces, None
        return faces, self.landmarker.landmarks(rgb, faces[0])

    def measure(self, rgb: NDArray[np.uint8]) -> FaceMeasurement:
        """Measure the largest face of a photo.

        Parameters
        ----------
        rgb : ndarray of shape (height, width, 3), uint8

        Returns
        -------
        FaceMeasurement
            With only ``detections`` and ``quality`` filled when there is no face.
        """
        faces, landmarks = self.locate(rgb)
        if landmarks is None:
            quality = measure_quality(rgb, face_box=None, faces_found=0, pose_deg=(0.0, 0.0, 0.0))
            return FaceMeasurement(detections=tuple(faces), quality=quality)
        points = landmarks.points[:, :2]
        pose = head_pose(landmarks.points)
        aligned = align_face(rgb, points, size=ALIGNED_SIZE)
        masks = region_masks(aligned.image, aligned.points)
        skin = np.logical_or.reduce(list(masks.values()))
        quality = measure_quality(
            rgb,
            face_box=faces[0].box,
            faces_found=len(faces),
            pose_deg=(pose.yaw_deg, pose.pitch_deg, pose.roll_deg),
            skin_mask=_to_photo(skin, aligned.matrix, rgb.shape[:2], faces[0].box),
        )
        maps = compute_maps(aligned.image, skin)
        features, regions = region_features(maps, masks)
        return FaceMeasurement(
            detections=tuple(faces),
            quality=quality,
            landmarks=landmarks,
            pose=pose,
            aligned=aligned,
            masks=masks,
            skin=skin,
            maps=maps,
            features=features,
            regions=regions,
        )
