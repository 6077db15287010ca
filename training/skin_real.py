"""Real labelled photos for the skin heads: measure graded photos into region rows.

Grades are per face, so a photo's grade for a concern becomes the label of that concern's
primary regions (``data.vocabulary.PRIMARY_REGIONS``); its other regions carry no label (NaN)
for that concern. Photos that fail decoding or the quality gate are reported, not used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from data.grades import RowError, read_grades
from data.images import decode_image
from data.vocabulary import CONCERNS, PRIMARY_REGIONS
from models.measurement import FaceMeasurer
from models.quality import assess_quality
from skinlab.errors import SkinlabError
from skinlab.settings import Settings


@dataclass(frozen=True)
class RealRows:
    """Region rows of real photos; ``labels`` is NaN where a concern was not graded."""

    features: NDArray[np.float32]
    labels: NDArray[np.float32]
    photos_used: int
    errors: list[RowError]


def measure_graded_photos(
    settings: Settings, measurer: FaceMeasurer, photo_dir: Path, grades_csv: Path
) -> RealRows:
    """Validate the grades file, then measure every accepted photo.

    Parameters
    ----------
    settings : Settings
        Upload limits and quality thresholds applied to the photos.
    measurer : FaceMeasurer
    photo_dir : Path
    grades_csv : Path

    Returns
    -------
    RealRows
    """
    report = read_grades(grades_csv, photo_dir)
    errors = list(report.errors)
    features: list[NDArray[np.float32]] = []
    labels: list[NDArray[np.float32]] = []
    used = 0
    for photo in tqdm(report.photos, desc="graded photos", leave=False):
        try:
            decoded = decode_image(
                photo.path.read_bytes(),
                max_bytes=settings.max_upload_bytes,
                max_pixels=settings.max_image_pixels,
                min_side=settings.min_image_side,
            )
            measurement = measurer.measure(decoded.rgb)
            verdict = assess_quality(measurement.quality, settings)
        except SkinlabError as error:
            errors.append(RowError(photo.line, photo.path.name, f"{error.code}: {error.message}"))
            continue
        if not verdict.ok or measurement.features is None:
            errors.append(RowError(photo.line, photo.path.name, f"quality: {verdict.issues}"))
            continue
        rows = np.full((len(measurement.regions), len(CONCERNS)), np.nan, dtype=np.float32)
        for column, concern in enumerate(CONCERNS):
            if concern not in photo.grades:
                continue
            for row, region in enumerate(measurement.regions):
                if region in PRIMARY_REGIONS[concern]:
                    rows[row, column] = photo.grades[concern]
        features.append(measurement.features)
        labels.append(rows)
        used += 1
    width = features[0].shape[1] if features else 0
    return RealRows(
        features=np.concatenate(features) if features else np.zeros((0, width), np.float32),
        labels=np.concatenate(labels) if labels else np.zeros((0, len(CONCERNS)), np.float32),
        photos_used=used,
        errors=errors,
    )
