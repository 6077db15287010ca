"""The names the whole system shares: skin concerns and face regions.

Left/right are the person's own left and right (a mirror-free convention).
"""

from __future__ import annotations

from typing import Literal

Concern = Literal[
    "redness", "spots", "wrinkles", "pores", "acne", "oiliness", "dark_circles", "texture"
]
CONCERNS: tuple[Concern, ...] = (
    "redness",
    "spots",
    "wrinkles",
    "pores",
    "acne",
    "oiliness",
    "dark_circles",
    "texture",
)
Region = Literal[
    "forehead", "left_cheek", "right_cheek", "nose", "chin", "left_under_eye", "right_under_eye"
]
REGIONS: tuple[Region, ...] = (
    "forehead",
    "left_cheek",
    "right_cheek",
    "nose",
    "chin",
    "left_under_eye",
    "right_under_eye",
)

# Where each concern is scored: the face score is the mean of these regions' scores, and the
# synthetic generator draws each concern in these regions (data/synth.py).
PRIMARY_REGIONS: dict[Concern, tuple[Region, ...]] = {
    "redness": ("left_cheek", "right_cheek", "nose"),
    "spots": ("forehead", "left_cheek", "right_cheek"),
    "wrinkles": ("forehead", "left_under_eye", "right_under_eye"),
    "pores": ("nose", "left_cheek", "right_cheek"),
    "acne": ("forehead", "left_cheek", "right_cheek", "chin"),
    "oiliness": ("forehead", "nose", "chin", "left_cheek", "right_cheek"),
    "dark_circles": ("left_under_eye", "right_under_eye"),
    "texture": ("forehead", "left_cheek", "right_cheek", "nose", "chin"),
}
T_ZONE: tuple[Region, ...] = ("forehead", "nose", "chin")
U_ZONE: tuple[Region, ...] = ("left_cheek", "right_cheek")
