"""Head pose and face alignment from the 468-point face mesh.

Conventions (all angles in degrees, 0 for a face looking straight at the camera):

- ``yaw``: turn about the vertical axis; positive when the nose points towards the image's right
  (the person turns to their own left).
- ``pitch``: nod; positive when the chin comes up.
- ``roll``: in-plane tilt; positive when the face turns clockwise on screen (the person's left
  eye, on the image's right, drops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from models.mesh_indices import (
    CHIN,
    LEFT_EYE_INNER,
    LEFT_EYE_OUTER,
    LEFT_MOUTH,
    NASION,
    NOSE_TIP,
    RIGHT_EYE_INNER,
    RIGHT_EYE_OUTER,
    RIGHT_MOUTH,
    SUBNASALE,
)

__all__ = [
    "ALIGNED_EYE_SPAN",
    "ALIGNED_EYE_Y",
    "AlignedFace",
    "HeadPose",
    "align_face",
    "head_pose",
]

# A generic face for solvePnP, in units of the distance between the outer eye corners: x towards
# the person's left, y down, z away from the camera, origin between the outer eye corners. It is
# the symmetrised mean of the mesh (x, y and its relative depth z) of the five frontal photos in
# data/faces after Procrustes alignment, so "frontal" means the average pose of people photographed
# face-on; it matches the mesh's own landmark placement better than textbook anthropometry.
_MODEL_3D: dict[int, tuple[float, float, float]] = {
    RIGHT_EYE_OUTER: (-0.5, 0.0, 0.0),
    RIGHT_EYE_INNER: (-0.193, 0.018, -0.059),
    LEFT_EYE_INNER: (0.193, 0.018, -0.059),
    LEFT_EYE_OUTER: (0.5, 0.0, 0.0),
    NASION: (0.0, -0.049, -0.243),
    NOSE_TIP: (0.0, 0.423, -0.487),
    SUBNASALE: (0.0, 0.488, -0.314),
    RIGHT_MOUTH: (-0.317, 0.69, -0.058),
    LEFT_MOUTH: (0.317, 0.69, -0.058),
    CHIN: (0.0, 1.224, -0.049),
}
# The camera is assumed this many eye-corner spans from the face (about 50 cm for a selfie):
# the focal length in pixels is this times the observed span. Pose barely depends on it.
_CAMERA_DISTANCE = 5.5

# The aligned frame: eye corners on a horizontal line at this fraction of the height, this fraction
# of the width apart. The whole face oval (about 0.56 spans above the eye line, 1.22 below and 0.76
# to each side) then fits with a margin.
ALIGNED_EYE_Y = 0.38
ALIGNED_EYE_SPAN = 0.42
# Landmarks that carry the alignment: the eye corners, rigid under expressions and nearly
# coplanar, so a turned head does not tilt the aligned face.
_ALIGN_POINTS = (RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER)
# A landmark further than this fraction of the output size from the fit is ignored.
_ALIGN_OUTLIER = 0.1


@dataclass(frozen=True)
class HeadPose:
    """Head orientation in degrees; see the module docstring for the sign conventions."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


@dataclass(frozen=True, eq=False)
class AlignedFace:
    """A face resampled so its eyes are level and a fixed distance apart.

    Attributes
    ----------
    image : ndarray of shape (size, size, 3), uint8
        The aligned face; black where the photo did not reach.
    points : ndarray of shape (468, 2), float32
        The mesh in the aligned image's pixels.
    matrix : ndarray of shape (2, 3), float64
        The similarity transform from photo pixels to aligned pixels (``cv2.warpAffine`` form).
    """

    image: NDArray[np.uint8]
    points: NDArray[np.float32]
    matrix: NDArray[np.float64]


def _xy(points: NDArray[np.floating]) -> NDArray[np.float64]:
    if points.ndim != 2 or points.shape[0] != 468 or points.shape[1] not in (2, 3):
        raise ValueError(f"expected mesh points of shape (468, 2) or (468, 3), got {points.shape}")
    return np.asarray(points[:, :2], dtype=np.float64)


def head_pose(points: NDArray[np.floating]) -> HeadPose:
    """Yaw, pitch and roll of a face from its mesh.

    Fits a generic 3D face (10 landmarks) to the mesh's image positions with ``cv2.solvePnP``
    (SQPnP), with a pinhole camera centred on the face.

    Parameters
    ----------
    points : ndarray of shape (468, 2) or (468, 3)
        The face mesh in photo pixels; only x and y are used.

    Returns
    -------
    HeadPose
        Angles in degrees (yaw: nose towards the image's right is positive; pitch: chin up is
        positive; roll: clockwise on screen is positive).
    """
    xy = _xy(points)
    indices = list(_MODEL_3D)
    image_points = xy[indices]
    span = float(np.linalg.norm(xy[LEFT_EYE_OUTER] - xy[RIGHT_EYE_OUTER]))
    if span <= 0:
        raise ValueError("degenerate mesh: the eye corners coincide")
    centre = (xy[LEFT_EYE_OUTER] + xy[RIGHT_EYE_OUTER]) / 2
    focal = _CAMERA_DISTANCE * span
    camera = np.array([[focal, 0, centre[0]], [0, focal, centre[1]], [0, 0, 1]])
    model = np.array([_MODEL_3D[i] for i in indices], dtype=np.float64)
    ok, rvec, _ = cv2.solvePnP(model, image_points, camera, None, flags=cv2.SOLVEPNP_SQPNP)
    if not ok:
        raise ValueError("solvePnP found no head pose for this mesh")
    rotation, _ = cv2.Rodrigues(rvec)
    # rotation = Rz(roll) @ Ry(yaw') @ Rx(pitch'), so an in-plane turn of the photo adds to roll.
    roll = math.atan2(rotation[1, 0], rotation[0, 0])
    yaw = math.asin(float(np.clip(-rotation[2, 0], -1.0, 1.0)))
    pitch = math.atan2(rotation[2, 1], rotation[2, 2])
    # Ry > 0 swings the nose (model -z) towards -x, Rx > 0 swings it down (+y): flip both.
    return HeadPose(
        yaw_deg=-math.degrees(yaw), pitch_deg=-math.degrees(pitch), roll_deg=math.degrees(roll)
    )


def aligned_template(size: int) -> NDArray[np.float32]:
    """Where :func:`align_face` puts the alignment landmarks in a ``size`` x ``size`` image.

    Returns
    -------
    ndarray of shape (4, 2), float32
        Right outer, right inner, left inner and left outer eye corner.
    """
    span = ALIGNED_EYE_SPAN * size
    centre = np.array([(size - 1) / 2, ALIGNED_EYE_Y * size])
    model = np.array([_MODEL_3D[i][:2] for i in _ALIGN_POINTS])
    return (centre + span * model).astype(np.float32)


def align_face(
    rgb: NDArray[np.uint8], points: NDArray[np.floating], size: int = 256
) -> AlignedFace:
    """Resample a face so its eyes are level, centred and a fixed fraction of ``size`` apart.

    A similarity transform (``cv2.estimateAffinePartial2D``) takes the four eye corners to a
    fixed template, so measurements made on the aligned image do not depend on the face's scale
    or in-plane rotation in the photo.

    Parameters
    ----------
    rgb : ndarray of shape (height, width, 3), uint8
        The photo.
    points : ndarray of shape (468, 2) or (468, 3)
        The face mesh in photo pixels.
    size : int, default 256
        Side of the aligned image in pixels.

    Returns
    -------
    AlignedFace
        The aligned image, the mesh in its pixels and the transform.
    """
    xy = _xy(points)
    source = xy[list(_ALIGN_POINTS)].astype(np.float32)
    matrix, _ = cv2.estimateAffinePartial2D(
        source,
        aligned_template(size),
        method=cv2.RANSAC,
        ransacReprojThreshold=_ALIGN_OUTLIER * size,
        refineIters=20,
    )
    if matrix is None:
        raise ValueError("cannot align a face whose eye corners coincide")
    image = cv2.warpAffine(
        rgb, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    moved = cv2.transform(xy[None].astype(np.float32), matrix)[0]
    return AlignedFace(
        image=np.asarray(image, dtype=np.uint8),
        points=np.asarray(moved, dtype=np.float32),
        matrix=np.asarray(matrix, dtype=np.float64),
    )
