"""Face detection and the face mesh on the real photos in data/faces."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from data.photos import FACES_DIR, load_rgb
from models.face import FaceDetection, FaceDetector
from models.landmarks import FaceLandmarker
from skinlab.errors import ModelUnavailable
from skinlab.settings import SHIPPED_MODELS_DIR

DETECTOR = SHIPPED_MODELS_DIR / "face_detector.onnx"
LANDMARKS = SHIPPED_MODELS_DIR / "face_landmarks.onnx"
SINGLE_FACES = [
    "astronaut.png",
    "0-f1-su-ph.jpg",
    "0-f15-hao-ph.jpg",
    "15-f13-anc-ph.jpg",
    "45-m7-di-ph.jpg",
    "single_face.jpg",
]
GROUPS = {"multi_face.jpg": 5, "t1.jpg": 6}


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector(DETECTOR)


@pytest.fixture(scope="module")
def landmarker() -> FaceLandmarker:
    return FaceLandmarker(LANDMARKS)


def photo(name: str) -> NDArray[np.uint8]:
    return load_rgb(FACES_DIR / name)


@pytest.mark.parametrize("name", SINGLE_FACES)
def test_single_face_photos_give_exactly_one_face(detector: FaceDetector, name: str) -> None:
    faces = detector.detect(photo(name))
    assert len(faces) == 1
    assert faces[0].score > 0.8


def test_landscape_gives_no_face(detector: FaceDetector) -> None:
    assert detector.detect(photo("free-mountain-vector-01.jpg"), tiles="always") == []


@pytest.mark.parametrize(("name", "people"), GROUPS.items())
def test_group_photos_give_several_faces(detector: FaceDetector, name: str, people: int) -> None:
    faces = detector.detect(photo(name))
    assert 2 <= len(faces) <= people
    # The whole-frame pass alone misses these small faces; the tiles find them.
    assert len(detector.detect(photo(name), tiles="never")) < len(faces)


def test_keypoints_follow_mediapipe_order(detector: FaceDetector) -> None:
    face = detector.detect(photo("0-f15-hao-ph.jpg"))[0]
    right_eye, left_eye, nose, mouth, right_ear, left_ear = face.keypoints
    assert right_eye[0] < nose[0] < left_eye[0]  # the person's right eye is on the image's left
    assert max(right_eye[1], left_eye[1]) < nose[1] < mouth[1]
    assert right_ear[0] < right_eye[0] and left_ear[0] > left_eye[0]


def test_boxes_are_in_photo_pixels(detector: FaceDetector) -> None:
    rgb = photo("0-f15-hao-ph.jpg")
    base = detector.detect(rgb)[0]
    canvas = np.full((900, 1400, 3), 90, np.uint8)
    canvas[300:812, 700:1212] = rgb
    moved = detector.detect(canvas)[0]
    expected = np.array(base.box) + np.array([700, 300, 700, 300])
    assert np.abs(np.array(moved.box) - expected).max() < 0.05 * base.width
    doubled = detector.detect(np.asarray(cv2.resize(rgb, None, fx=2, fy=2), np.uint8))[0]
    assert np.abs(np.array(doubled.box) - 2 * np.array(base.box)).max() < 0.05 * doubled.width


def test_wrong_model_is_refused_at_load() -> None:
    with pytest.raises(ModelUnavailable, match="expected"):
        FaceDetector(LANDMARKS)
    with pytest.raises(ModelUnavailable, match="missing"):
        FaceLandmarker(Path("/nonexistent/face_landmarks.onnx"))


def test_detector_rejects_non_rgb_input(detector: FaceDetector) -> None:
    with pytest.raises(ValueError, match="uint8"):
        detector.detect(np.zeros((64, 64), np.uint8))


@pytest.mark.parametrize("name", ["0-f1-su-ph.jpg", "45-m7-di-ph.jpg", "astronaut.png"])
def test_mesh_lies_on_the_detected_face(
    detector: FaceDetector, landmarker: FaceLandmarker, name: str
) -> None:
    rgb = photo(name)
    face = detector.detect(rgb)[0]
    mesh = landmarker.landmarks(rgb, face)
    assert mesh.points.shape == (468, 3) and mesh.points.dtype == np.float32
    assert mesh.presence > 0.9
    x0, y0, x1, y1 = face.box
    margin = 0.25 * face.width
    xy = mesh.points[:, :2]
    assert np.all((xy >= [x0 - margin, y0 - margin]) & (xy <= [x1 + margin, y1 + margin]))
    # The mesh's eye corners sit next to the detector's eye keypoints.
    right_eye = xy[[33, 133]].mean(axis=0)
    left_eye = xy[[362, 263]].mean(axis=0)
    assert np.linalg.norm(right_eye - face.keypoints[0]) < 0.1 * face.width
    assert np.linalg.norm(left_eye - face.keypoints[1]) < 0.1 * face.width


def jittered(face: FaceDetection, rng: np.random.Generator) -> FaceDetection:
    """The same face with its box shifted and scaled and its keypoints turned a little."""
    box = np.array(face.box)
    centre = (box[:2] + box[2:]) / 2 + rng.normal(0, 0.04 * face.width, 2)
    half = (box[2:] - box[:2]) / 2 * (1 + rng.normal(0, 0.06))
    angle = np.radians(rng.normal(0, 4))
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    middle = face.keypoints.mean(axis=0)
    keypoints = ((face.keypoints - middle) @ turn.T + middle).astype(np.float32)
    x0, y0, x1, y1 = (float(v) for v in np.concatenate([centre - half, centre + half]))
    return FaceDetection(box=(x0, y0, x1, y1), score=face.score, keypoints=keypoints)


def test_refinement_makes_the_mesh_steadier_under_box_jitter(detector: FaceDetector) -> None:
    rgb = photo("0-f1-su-ph.jpg")
    face = detector.detect(rgb)[0]
    rng = np.random.default_rng(0)
    boxes = [jittered(face, rng) for _ in range(12)]
    spread = {}
    for refine in (False, True):
        marker = FaceLandmarker(LANDMARKS, refine=refine)
        meshes = np.stack([marker.landmarks(rgb, b).points[:, :2] for b in boxes])
        spread[refine] = float(np.sqrt(((meshes - meshes.mean(axis=0)) ** 2).sum(-1).mean()))
    assert spread[True] < 0.6 * spread[False]
