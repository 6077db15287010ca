"""The skin test: quality gate, measurements, learned heads and the final ``SkinAnalysis``."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from data.vocabulary import CONCERNS, Concern, primary_mean
from models.heads import SkinHeads
from models.measurement import FaceMeasurement, FaceMeasurer
from models.overlays import render_overlays
from models.quality import assess_quality, first_failure
from models.results import ConcernScore, FaceBox, QualityReport, SkinAnalysis
from models.skin_type import classify_skin_type
from models.tone import tone_of
from skinlab.settings import Settings

HEADS_DIR = "skin_heads"


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def concern_scores(
    measurement: FaceMeasurement, region_scores: dict[Concern, NDArray[np.float32]]
) -> dict[Concern, ConcernScore]:
    """Face score per concern: ``primary_mean`` of its region scores."""
    scores: dict[Concern, ConcernScore] = {}
    for concern in CONCERNS:
        per_region = {
            region: round(float(value), 1)
            for region, value in zip(measurement.regions, region_scores[concern], strict=True)
        }
        face = primary_mean(per_region, concern)
        scores[concern] = ConcernScore(score=round(face, 1), regions=per_region)
    return scores


class SkinAnalyzer:
    """Loads every skin model once; ``analyze`` turns an RGB photo into a ``SkinAnalysis``.

    Parameters
    ----------
    models_dir : Path
        Folder with the face models and the ``skin_heads`` folder.
    settings : Settings
        Quality thresholds.
    heads_dir : Path, optional
        The skin heads to use; ``models_dir/skin_heads`` by default.
    """

    def __init__(self, models_dir: Path, settings: Settings, heads_dir: Path | None = None) -> None:
        self.settings = settings
        self.measurer = FaceMeasurer(models_dir)
        self.heads = SkinHeads(heads_dir or models_dir / HEADS_DIR)
        self._versions = {
            "face_detector": _file_digest(models_dir / "face_detector.onnx"),
            "face_landmarks": _file_digest(models_dir / "face_landmarks.onnx"),
            "skin_heads": self.heads.version,
        }
        digest = hashlib.sha256(json.dumps(self._versions, sort_keys=True).encode())
        self.model_version = f"skin-{self.heads.version}-{digest.hexdigest()[:8]}"

    @classmethod
    def load(cls, settings: Settings) -> SkinAnalyzer:
        """The analyzer for the configured models folder."""
        return cls(settings.models_dir, settings)

    def versions(self) -> dict[str, str]:
        """Version or content hash of every model the analysis uses."""
        return {"skin_model": self.model_version, **self._versions}

    def analyze(self, rgb: NDArray[np.uint8], *, overlays: bool = False) -> SkinAnalysis:
        """Run the skin test on one photo.

        Parameters
        ----------
        rgb : ndarray of shape (height, width, 3), uint8
        overlays : bool
            Also render per-concern heatmaps (adds a few milliseconds).

        Returns
        -------
        SkinAnalysis

        Raises
        ------
        QualityFailed
            When the photo fails the quality gate (no face, blur, light, pose...).
        """
        started = time.perf_counter()
        measurement = self.measurer.measure(rgb)
        report = assess_quality(measurement.quality, self.settings)
        if not report.ok or measurement.features is None:
            raise first_failure(report)
        return self.score(measurement, report, overlays=overlays, started=started)

    def score(
        self,
        measurement: FaceMeasurement,
        report: QualityReport,
        *,
        overlays: bool = False,
        started: float | None = None,
    ) -> SkinAnalysis:
        """Scores, tone and skin type of a measured face (no quality gate: ``analyze`` gates).

        Parameters
        ----------
        measurement : FaceMeasurement
            From ``self.measurer.measure``; must contain a face.
        report : QualityReport
            The quality verdict to attach.
        overlays : bool
            Also render per-concern heatmaps.
        started : float, optional
            ``time.perf_counter()`` when the photo arrived, for the timing figures.
        """
        measured = time.perf_counter()
        started = measured if started is None else started
        if measurement.features is None or measurement.maps is None:
            raise first_failure(report)
        region_scores = self.heads.predict(measurement.features)
        scores = concern_scores(measurement, region_scores)
        assert measurement.skin is not None and measurement.aligned is not None
        assert measurement.masks is not None
        box = measurement.detections[0]
        x0, y0, x1, y1 = box.box
        extras = (
            render_overlays(measurement.aligned.image, measurement.maps, measurement.masks)
            if overlays
            else None
        )
        finished = time.perf_counter()
        return SkinAnalysis(
            scores=scores,
            # The maps already hold the median colour of the same skin pixels.
            tone=tone_of(*measurement.maps.face_lab),
            skin_type=classify_skin_type(scores["oiliness"], scores["texture"], scores["redness"]),
            quality=report,
            face=FaceBox(
                x=int(x0),
                y=int(y0),
                width=int(x1 - x0),
                height=int(y1 - y0),
                detection_score=round(float(box.score), 3),
            ),
            model_version=self.model_version,
            timing_ms={
                "measure": round((measured - started) * 1000, 2),
                "score": round((finished - measured) * 1000, 2),
                "total": round((finished - started) * 1000, 2),
            },
            overlays=extras,
        )
