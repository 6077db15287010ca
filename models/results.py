"""Typed results of the skin test. Every score is 0-100 where higher means more of the concern."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from data.vocabulary import CONCERNS, REGIONS, Concern, Region

__all__ = [
    "CONCERNS",
    "REGIONS",
    "Concern",
    "ConcernScore",
    "FaceBox",
    "QualityMeasures",
    "QualityReport",
    "Region",
    "SkinAnalysis",
    "SkinTone",
    "SkinType",
]

ToneCategory = Literal["very_light", "light", "intermediate", "tan", "brown", "dark"]
Fitzpatrick = Literal["I", "II", "III", "IV", "V", "VI"]
SkinTypeName = Literal["dry", "normal", "oily", "combination"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ConcernScore(_Frozen):
    """One concern: a face-level score and the score of each region it was measured in."""

    score: float = Field(ge=0, le=100, description="0 = none, 100 = most severe")
    regions: dict[Region, float] = Field(
        description="Per-region scores, 0-100, higher = more of the concern"
    )


class SkinTone(_Frozen):
    """Skin tone from the median CIELAB colour of visible skin."""

    ita_deg: float = Field(description="Individual Typology Angle, atan((L*-50)/b*) in degrees")
    category: ToneCategory
    fitzpatrick_estimate: Fitzpatrick = Field(
        description="Rough Fitzpatrick phototype from ITA; not a clinical assessment"
    )
    lab: tuple[float, float, float] = Field(description="Median (L*, a*, b*) of skin pixels")


class SkinType(_Frozen):
    """Skin type from the shine and texture of the T-zone against the cheeks."""

    type: SkinTypeName
    sensitive: bool = Field(description="Diffuse redness suggests reactive/sensitive skin")
    t_zone_oiliness: float = Field(ge=0, le=100)
    u_zone_oiliness: float = Field(ge=0, le=100)
    reasons: list[str] = Field(default_factory=list)


class FaceBox(_Frozen):
    x: int
    y: int
    width: int
    height: int
    detection_score: float


class QualityMeasures(_Frozen):
    """The measurements behind the quality verdict (units in each description)."""

    image_width: int
    image_height: int
    faces_found: int
    face_width_px: float = Field(description="Width of the detected face box in pixels")
    face_fraction: float = Field(description="Face box width / image width")
    sharpness: float = Field(
        description=(
            "4 x the smallest variance of the second difference along 0/45/90/135 degrees of the"
            " grey face at 256 px wide (low when blurred in any direction)"
        )
    )
    brightness_l: float = Field(description="Median L* of the face, 0-100")
    clipped_fraction: float = Field(description="Share of face pixels at or near white")
    dark_fraction: float = Field(description="Share of face pixels near black")
    yaw_deg: float
    pitch_deg: float
    roll_deg: float


class QualityReport(_Frozen):
    """Passed, or the codes (see ``skinlab.errors.QUALITY_MESSAGES``) of what failed."""

    ok: bool
    issues: list[str] = Field(default_factory=list)
    measures: QualityMeasures | None = None


class SkinAnalysis(_Frozen):
    """The whole skin test for one photo."""

    scores: dict[Concern, ConcernScore]
    tone: SkinTone
    skin_type: SkinType
    quality: QualityReport
    face: FaceBox
    model_version: str
    timing_ms: dict[str, float]
    overlays: dict[str, str] | None = Field(
        default=None, description="Optional PNG heatmaps per concern, base64, for the BA page"
    )
