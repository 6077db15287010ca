"""The names the whole system shares: skin concerns and face regions.

Left/right are the person's own left and right (a mirror-free convention).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np

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
CONCERN_NAMES_ZH: dict[Concern, str] = {
    "redness": "泛红",
    "spots": "色斑",
    "wrinkles": "皱纹",
    "pores": "毛孔",
    "acne": "痘痘",
    "oiliness": "出油",
    "dark_circles": "黑眼圈",
    "texture": "肤质不均",
}
"""Chinese names of the concerns, one set for reports, reasons and the BA page."""
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


def primary_mean(values: Mapping[Region, float], concern: Concern) -> float:
    """Face-level value of a concern from per-region values.

    The mean over the concern's primary regions present in ``values``; over all regions when
    none of them is; 0 when ``values`` is empty. Scores, labels and metrics all use this rule.
    """
    primary = [float(values[r]) for r in PRIMARY_REGIONS[concern] if r in values]
    pool = primary or [float(v) for v in values.values()]
    return float(np.mean(pool)) if pool else 0.0
