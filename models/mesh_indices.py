"""Landmark index lists on MediaPipe's canonical 468-point face mesh.

Left and right are the person's own: ``LEFT_EYE`` is the eye that appears on the image's right in
an unmirrored frontal photo.

The first group are the closed loops of MediaPipe's published contours, in loop order, taken
from ``mediapipe/python/solutions/face_mesh_connections.py`` (mediapipe 0.10.14, Apache-2.0;
``FACEMESH_FACE_OVAL``, ``FACEMESH_LEFT_EYE``, ``FACEMESH_RIGHT_EYE``, ``FACEMESH_LIPS``,
``FACEMESH_LEFT_EYEBROW``, ``FACEMESH_RIGHT_EYEBROW``). The second group (nostrils and the skin
regions) are skinlab's own, chosen on meshes drawn over the photos in ``data/faces``; each left
list is the mirror image of its right list (``tests/unit/test_regions.py`` checks this).
"""

from __future__ import annotations

from data.vocabulary import Region

# -- MediaPipe contours (face_mesh_connections.py) --------------------------------------------
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
LIPS_OUTER = (
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
)  # fmt: skip
# Upper edge (outer to inner) then lower edge (inner to outer).
RIGHT_EYEBROW = (70, 63, 105, 66, 107, 55, 65, 52, 53, 46)
LEFT_EYEBROW = (300, 293, 334, 296, 336, 285, 295, 282, 283, 276)

# -- skinlab's own ------------------------------------------------------------------------------
RIGHT_NOSTRIL = (166, 79, 239, 238, 20, 60, 75, 59)
LEFT_NOSTRIL = (392, 309, 459, 458, 250, 290, 305, 289)

# Single points used by pose and alignment.
RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER = 33, 133, 362, 263
NASION, NOSE_TIP, SUBNASALE, CHIN = 168, 1, 2, 152
RIGHT_MOUTH, LEFT_MOUTH = 61, 291

REGION_POLYGONS: dict[Region, tuple[int, ...]] = {
    # Above the brows and the glabella, up to the top of the mesh (hair is removed by colour).
    "forehead": (
        54, 103, 67, 109, 10, 338, 297, 332, 284, 300, 293, 334, 296, 336, 9, 107, 66, 105, 63,
        70,
    ),
    # Bridge, sides, tip and wings of the nose; the nostrils are cut out by the skin mask.
    "nose": (
        168, 193, 122, 196, 174, 236, 198, 131, 49, 48, 64, 98, 97, 2, 326, 327, 294, 278, 279,
        360, 420, 456, 399, 419, 351, 417,
    ),
    # A band from the lower eyelid to the top of the cheekbone.
    "right_under_eye": (226, 25, 110, 24, 23, 22, 26, 112, 233, 121, 120, 119, 118, 117, 111, 35),
    "left_under_eye": (
        446, 255, 339, 254, 253, 252, 256, 341, 453, 350, 349, 348, 347, 346, 340, 265,
    ),
    # From the cheekbone down to the mouth corner, between the nose/nasolabial fold and the jaw.
    "right_cheek": (
        116, 117, 118, 119, 120, 121, 47, 126, 209, 129, 203, 206, 216, 212, 214, 135, 138, 215,
        177, 137, 227,
    ),
    "left_cheek": (
        345, 346, 347, 348, 349, 350, 277, 355, 429, 358, 423, 426, 436, 432, 434, 364, 367, 435,
        401, 366, 447,
    ),
    # Below the lower lip to the bottom of the face oval.
    "chin": (
        43, 106, 182, 83, 18, 313, 406, 335, 273, 422, 430, 394, 379, 378, 400, 377, 152, 148,
        176, 149, 150, 169, 210, 202,
    ),
}  # fmt: skip
