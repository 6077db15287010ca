"""Skin regions, the skin mask, head pose and alignment, on meshes of the real photos."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from data.photos import FACES_DIR, load_rgb
from data.vocabulary import REGIONS
from models import mesh_indices
from models.face import FaceDetector
from models.landmarks import FaceLandmarker
from models.pose import ALIGNED_EYE_SPAN, ALIGNED_EYE_Y
from models.regions import align_face, head_pose, region_masks, region_polygons, skin_mask
from skinlab.settings import SHIPPED_MODELS_DIR

FRONTAL = ["0-f1-su-ph.jpg", "0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg", "single_face.jpg"]
FRONTAL_WITH_ASTRONAUT = [*FRONTAL, "astronaut.png"]
TURNED = "45-m7-di-ph.jpg"


@cache
def _models() -> tuple[FaceDetector, FaceLandmarker]:
    return (
        FaceDetector(SHIPPED_MODELS_DIR / "face_detector.onnx"),
        FaceLandmarker(SHIPPED_MODELS_DIR / "face_landmarks.onnx"),
    )


def mesh_of(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    detector, landmarker = _models()
    faces = detector.detect(rgb)
    assert len(faces) == 1
    return landmarker.landmarks(rgb, faces[0]).points


@cache
def photo_and_mesh(name: str) -> tuple[NDArray[np.uint8], NDArray[np.float32]]:
    rgb = load_rgb(FACES_DIR / name)
    return rgb, mesh_of(rgb)


def feature_pixels(shape: tuple[int, ...], points: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Eyes and lips exactly as their contours enclose them (no margin)."""
    canvas = np.zeros(shape[:2], np.uint8)
    loops = (mesh_indices.RIGHT_EYE, mesh_indices.LEFT_EYE, mesh_indices.LIPS_OUTER)
    polygons = [np.round(points[list(loop), :2]).astype(np.int32) for loop in loops]
    cv2.fillPoly(canvas, polygons, 1)
    return canvas.astype(bool)


def rotated(rgb: NDArray[np.uint8], degrees: float, scale: float = 1.0) -> NDArray[np.uint8]:
    """The photo turned counter-clockwise on screen and scaled about its centre, same size."""
    height, width = rgb.shape[:2]
    matrix = np.asarray(cv2.getRotationMatrix2D((width / 2, height / 2), degrees, scale), float)
    size = (round(width * max(scale, 1)), round(height * max(scale, 1)))
    matrix[:, 2] += (np.array(size) - [width, height]) / 2
    return np.asarray(cv2.warpAffine(rgb, matrix, size, borderMode=cv2.BORDER_REPLICATE))


def test_left_lists_mirror_right_lists() -> None:
    rgb, mesh = photo_and_mesh("0-f15-hao-ph.jpg")
    flipped = mesh_of(np.ascontiguousarray(rgb[:, ::-1]))
    flipped[:, 0] = rgb.shape[1] - 1 - flipped[:, 0]
    cost = np.linalg.norm(mesh[:, None, :2] - flipped[None, :, :2], axis=-1)
    _, mirror = linear_sum_assignment(cost)
    polygons = mesh_indices.REGION_POLYGONS
    pairs = [
        (mesh_indices.RIGHT_EYE, mesh_indices.LEFT_EYE),
        (mesh_indices.RIGHT_EYEBROW, mesh_indices.LEFT_EYEBROW),
        (mesh_indices.RIGHT_NOSTRIL, mesh_indices.LEFT_NOSTRIL),
        (polygons["right_cheek"], polygons["left_cheek"]),
        (polygons["right_under_eye"], polygons["left_under_eye"]),
    ]
    for right, left in pairs:
        assert [int(mirror[i]) for i in right] == list(left)


@pytest.mark.parametrize("name", FRONTAL_WITH_ASTRONAUT)
def test_regions_are_nonempty_disjoint_and_skip_eyes_and_lips(name: str) -> None:
    rgb, mesh = photo_and_mesh(name)
    masks = region_masks(rgb, mesh)
    assert list(masks) == list(REGIONS)
    span = float(np.linalg.norm(mesh[263, :2] - mesh[33, :2]))
    for region, mask in masks.items():
        assert mask.shape == rgb.shape[:2] and mask.dtype == np.bool_
        assert mask.sum() > 0.02 * span**2, region
    stacked = np.stack(list(masks.values())).astype(int)
    assert stacked.sum(axis=0).max() == 1
    features = feature_pixels(rgb.shape, mesh)
    assert not (stacked.sum(axis=0).astype(bool) & features).any()
    assert not (skin_mask(rgb, mesh) & features).any()


def test_left_and_right_are_the_persons_own() -> None:
    _, mesh = photo_and_mesh("0-f15-hao-ph.jpg")
    polygons = region_polygons(mesh)
    assert polygons["left_cheek"][:, 0].mean() > polygons["right_cheek"][:, 0].mean()
    assert polygons["left_under_eye"][:, 0].mean() > polygons["nose"][:, 0].mean()
    assert polygons["forehead"][:, 1].mean() < polygons["nose"][:, 1].mean()
    assert polygons["chin"][:, 1].mean() > polygons["nose"][:, 1].mean()


def test_skin_mask_keeps_shine_and_spots_but_drops_hair() -> None:
    rgb, mesh = photo_and_mesh("0-f15-hao-ph.jpg")
    painted = rgb.copy()
    cheek = tuple(int(v) for v in mesh[50, :2])  # middle of the right cheek
    spot = tuple(int(v) for v in mesh[280, :2])  # middle of the left cheek
    cv2.circle(painted, cheek, 16, (252, 250, 246), -1)  # a large specular highlight
    cv2.circle(painted, spot, 3, (70, 40, 30), -1)  # a dark spot
    brow_top, hairline = mesh[151, :2], mesh[10, :2]
    fringe = (int(hairline[0]) - 60, int(hairline[1]) - 5, 120, int(brow_top[1] - hairline[1]))
    x, y, w, h = fringe
    painted[y : y + h, x : x + w] = (35, 25, 20)  # a fringe of dark hair over the forehead
    mask = skin_mask(painted, mesh)
    assert mask[cheek[1], cheek[0]] and mask[spot[1], spot[0]]
    assert not mask[y + 5 : y + h - 5, x + 5 : x + w - 5].any()
    assert skin_mask(rgb, mesh)[y + 5 : y + h - 5, x + 5 : x + w - 5].mean() > 0.5


@pytest.mark.parametrize("degrees", [-30, -20, -10, -5, 5, 10, 20, 30])
def test_roll_follows_an_in_plane_rotation(degrees: float) -> None:
    rgb, mesh = photo_and_mesh("0-f15-hao-ph.jpg")
    base = head_pose(mesh).roll_deg
    # getRotationMatrix2D turns counter-clockwise on screen; roll is clockwise-positive.
    turned = head_pose(mesh_of(rotated(rgb, degrees)))
    assert turned.roll_deg - base == pytest.approx(-degrees, abs=3.0)


@pytest.mark.parametrize("name", FRONTAL_WITH_ASTRONAUT)
def test_frontal_faces_have_little_yaw(name: str) -> None:
    pose = head_pose(photo_and_mesh(name)[1])
    assert abs(pose.yaw_deg) < 12
    assert abs(pose.roll_deg) < 8


def test_turned_head_has_large_yaw_with_a_documented_sign() -> None:
    rgb, mesh = photo_and_mesh(TURNED)
    pose = head_pose(mesh)
    assert pose.yaw_deg < -25  # the nose points to the image's left
    mirrored = head_pose(mesh_of(np.ascontiguousarray(rgb[:, ::-1])))
    assert mirrored.yaw_deg > 25


def test_aligned_face_has_level_eyes_at_the_template() -> None:
    rgb, mesh = photo_and_mesh("single_face.jpg")
    aligned = align_face(rgb, mesh, size=256)
    assert aligned.image.shape == (256, 256, 3) and aligned.image.dtype == np.uint8
    assert aligned.points.shape == (468, 2) and aligned.matrix.shape == (2, 3)
    right, left = aligned.points[33], aligned.points[263]
    assert abs(right[1] - left[1]) < 1.5
    assert np.linalg.norm(left - right) == pytest.approx(ALIGNED_EYE_SPAN * 256, abs=2)
    assert (right[1] + left[1]) / 2 == pytest.approx(ALIGNED_EYE_Y * 256, abs=2)
    back = cv2.transform(mesh[None, :, :2], aligned.matrix)[0]
    np.testing.assert_allclose(back, aligned.points, atol=1e-3)


@pytest.mark.parametrize(("scale", "degrees"), [(0.8, 0), (1.25, 0), (1.0, 10), (1.0, -10)])
def test_alignment_cancels_scale_and_rotation(scale: float, degrees: float) -> None:
    rgb, mesh = photo_and_mesh("0-f15-hao-ph.jpg")
    reference = align_face(rgb, mesh, size=256).points
    changed = rotated(rgb, degrees, scale)
    moved = align_face(changed, mesh_of(changed), size=256).points
    rms = float(np.sqrt(((moved - reference) ** 2).sum(axis=1).mean()))
    assert rms < 2.0
