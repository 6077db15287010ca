"""Helpers for the browser tests: a fake analyzer with real heatmaps, photos, the server record."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

from models.results import (
    CONCERNS,
    REGIONS,
    ConcernScore,
    FaceBox,
    QualityReport,
    SkinAnalysis,
    SkinTone,
    SkinType,
)
from skinlab.errors import quality_error
from skinlab.settings import Settings


class PaintedFaceAnalyzer:
    """Scores that differ per concern and per photo, and real PNG heatmaps to draw on the page."""

    model_version = "fake-e2e"

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def analyze(self, rgb: NDArray[np.uint8], *, overlays: bool = False) -> SkinAnalysis:
        self.shapes.append(rgb.shape)
        if not rgb.any():
            raise quality_error("NO_FACE")
        means = rgb.reshape(-1, 3).mean(axis=0) / 255
        scores = {}
        for index, concern in enumerate(CONCERNS):
            level = round(float(15 + 70 * ((means[index % 3] + 0.37 * index) % 1.0)), 1)
            scores[concern] = ConcernScore(score=level, regions=dict.fromkeys(REGIONS, level))
        return SkinAnalysis(
            scores=scores,
            tone=SkinTone(
                ita_deg=35.0, category="light", fitzpatrick_estimate="III", lab=(64.0, 10.0, 17.0)
            ),
            skin_type=SkinType(
                type="combination", sensitive=True, t_zone_oiliness=55.0, u_zone_oiliness=25.0
            ),
            quality=QualityReport(ok=True),
            face=FaceBox(x=10, y=10, width=60, height=70, detection_score=0.98),
            model_version=self.model_version,
            timing_ms={"total": 1.0},
            overlays=_overlays(rgb) if overlays else None,
        )

    def versions(self) -> dict[str, str]:
        return {"skin_model": self.model_version}


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _overlays(rgb: NDArray[np.uint8]) -> dict[str, str]:
    """The photo as the 'aligned face' and a blurred blob per concern at a different place."""
    size = 256
    face = Image.fromarray(rgb).resize((size, size))
    maps = {"face": _png(face)}
    for index, concern in enumerate(CONCERNS):
        heat = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        x, y = 60 + (index % 3) * 60, 70 + (index // 3) * 50
        ImageDraw.Draw(heat).ellipse((x, y, x + 80, y + 50), fill=(230, 60, 20, 190))
        maps[concern] = _png(heat.filter(ImageFilter.GaussianBlur(8)))
    return maps


def painted_face(path: Path, *, size: tuple[int, int] = (1600, 1200)) -> Path:
    """A drawn face (not a person) as a JPEG larger than the page's 1280-px upload limit."""
    image = Image.new("RGB", size, (214, 222, 230))
    draw = ImageDraw.Draw(image)
    cx, cy = size[0] // 2, size[1] // 2
    draw.ellipse((cx - 330, cy - 430, cx + 330, cy + 450), fill=(224, 178, 150))
    for dx in (-140, 140):
        draw.ellipse((cx + dx - 55, cy - 110, cx + dx + 55, cy - 60), fill=(250, 250, 250))
        draw.ellipse((cx + dx - 22, cy - 107, cx + dx + 22, cy - 63), fill=(60, 40, 30))
    draw.arc((cx - 120, cy + 120, cx + 120, cy + 260), 20, 160, fill=(170, 70, 70), width=12)
    image.save(path, format="JPEG", quality=92)
    return path


def black_photo(path: Path) -> Path:
    """The no-face marker: an all-black PNG (stays all-black after the page's JPEG step)."""
    Image.new("RGB", (400, 300), (0, 0, 0)).save(path, format="PNG")
    return path


@dataclass(frozen=True)
class BaServer:
    url: str
    store_id: str
    store_key: str
    settings: Settings
    analyzer: PaintedFaceAnalyzer | None  # None: the real model
    api_key: str  # an admin key, for the tests' own calls to the API
