"""Behavioural evaluation of the whole skin test on held-out faces.

- severity sweep: each concern painted alone at 0, 0.2 … 1.0 on every held-out face at four skin
  tones; Spearman ρ between injected severity and the face score, pooled over faces and tones
  (strict: a person's own natural redness or shine counts against it, since the label only knows
  what was painted), within each face and tone (the person's baseline held fixed), averaged, and
  within each person across all four tones and every severity, averaged over people: this one
  keeps a person's own baseline fixed but still needs the score to mean the same at every tone.
- invariance: untouched faces under capture changes (JPEG quality 70-95, ±15 % brightness,
  ±10° rotation, 0.8-1.25× scale); the largest score change per concern.
- tone fairness: mean absolute error (score vs painted label) for the lightest vs the darkest
  tone in the sweep, and their relative gap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from data.augment import Perturbation, apply_perturbation
from data.photos import load_rgb
from data.vocabulary import CONCERNS, Concern, primary_mean
from models.analyzer import SkinAnalyzer
from models.results import QualityReport
from training.skin_dataset import SampleSpec, SourceFace, prepare_sources, render

SWEEP_SEVERITIES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
SWEEP_TONES = (55.0, 25.0, -5.0, -35.0)
CAPTURE_CHANGES: tuple[tuple[str, Perturbation], ...] = (
    ("jpeg70", Perturbation(jpeg_quality=70)),
    ("jpeg95", Perturbation(jpeg_quality=95)),
    ("bright+15%", Perturbation(brightness=1.15)),
    ("bright-15%", Perturbation(brightness=0.85)),
    ("rot+10", Perturbation(rotation_deg=10.0)),
    ("rot-10", Perturbation(rotation_deg=-10.0)),
    ("scale0.8", Perturbation(scale=0.8)),
    ("scale1.25", Perturbation(scale=1.25)),
)


@dataclass(frozen=True)
class SweepPoint:
    """One painted face: what was injected and what the skin test said."""

    concern: Concern
    severity: float
    ita_deg: float
    source: str
    label: float
    score: float


def severity_sweep(
    analyzer: SkinAnalyzer,
    sources: list[SourceFace],
    *,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> list[SweepPoint]:
    """Paint each concern alone over the severity grid on every source face and tone."""
    points: list[SweepPoint] = []
    for index, source in enumerate(sources):
        if progress is not None:
            progress(f"sweep {index + 1}/{len(sources)}: {source.name}")
        for ita in SWEEP_TONES:
            for concern in CONCERNS:
                for severity in SWEEP_SEVERITIES:
                    spec = SampleSpec(
                        seed=seed + index, source=index, ita_deg=ita, severities={concern: severity}
                    )
                    image, labels = render(spec, source)
                    measurement = analyzer.measurer.measure(image)
                    # The sweep tests the skin scores of painted faces; a heavily painted face
                    # may trip the photo gate, which has its own tests.
                    result = analyzer.score(measurement, QualityReport(ok=True))
                    points.append(
                        SweepPoint(
                            concern=concern,
                            severity=severity,
                            ita_deg=ita,
                            source=source.name,
                            label=primary_mean(labels[concern], concern),
                            score=result.scores[concern].score,
                        )
                    )
    return points


def summarise_sweep(points: list[SweepPoint]) -> dict[str, Any]:
    """Spearman ρ per concern (pooled, within face and tone, within person) and the tone gap."""
    lightest, darkest = max(SWEEP_TONES), min(SWEEP_TONES)
    out: dict[str, Any] = {}
    for concern in CONCERNS:
        mine = [p for p in points if p.concern == concern]
        rho = spearmanr([p.severity for p in mine], [p.score for p in mine]).statistic
        groups = {(p.source, p.ita_deg) for p in mine}
        within = [
            spearmanr(
                [p.severity for p in mine if (p.source, p.ita_deg) == group],
                [p.score for p in mine if (p.source, p.ita_deg) == group],
            ).statistic
            for group in sorted(groups)
        ]
        people = sorted({p.source for p in mine})
        per_person = [
            spearmanr(
                [p.severity for p in mine if p.source == person],
                [p.score for p in mine if p.source == person],
            ).statistic
            for person in people
        ]
        light = [abs(p.score - p.label) for p in mine if p.ita_deg == lightest]
        dark = [abs(p.score - p.label) for p in mine if p.ita_deg == darkest]
        mae_light, mae_dark = float(np.mean(light)), float(np.mean(dark))
        out[concern] = {
            "spearman": round(float(rho), 4),
            "spearman_within_face": round(float(np.nanmean(within)), 4),
            "spearman_within_person": round(float(np.nanmean(per_person)), 4),
            "mae_lightest": round(mae_light, 2),
            "mae_darkest": round(mae_dark, 2),
            "tone_gap": round(abs(mae_dark - mae_light) / max(min(mae_light, mae_dark), 1.0), 3),
        }
    return out


def invariance(
    analyzer: SkinAnalyzer,
    photos: list[Path],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Largest score change per concern over the capture changes, on untouched photos."""
    worst: dict[Concern, float] = dict.fromkeys(CONCERNS, 0.0)
    detail: dict[str, dict[str, float]] = {}
    for number, path in enumerate(photos, start=1):
        if progress is not None:
            progress(f"capture changes {number}/{len(photos)}: {path.stem}")
        original = load_rgb(path)
        base = analyzer.analyze(original).scores
        for name, change in CAPTURE_CHANGES:
            scores = analyzer.analyze(apply_perturbation(original, change)).scores
            for concern in CONCERNS:
                delta = abs(scores[concern].score - base[concern].score)
                worst[concern] = max(worst[concern], delta)
                key = f"{path.stem}:{name}"
                detail.setdefault(key, {})[concern] = round(delta, 2)
    return {"max_delta": {c: round(v, 2) for c, v in worst.items()}, "detail": detail}


def evaluate_analyzer(
    analyzer: SkinAnalyzer,
    test_photos: list[Path],
    invariance_photos: list[Path],
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The full behavioural report: sweep summary and invariance.

    ``progress``, if given, is called with a line of text as each face or photo starts.
    """
    sources = prepare_sources(analyzer.measurer, test_photos)
    originals = [s for s in sources if not s.name.endswith("-mirror")]
    return {
        "sweep": summarise_sweep(severity_sweep(analyzer, originals, progress=progress)),
        "invariance": invariance(analyzer, invariance_photos, progress),
    }
