"""Drift of the skin test: stored analyses against the synthetic data the heads were trained on.

Variables, read from each analysis's JSON (``AnalysisRecord.result``): the eight concern scores
(``score:<concern>``, rated as scores), and as inputs the skin tone (ITA°), the T- and U-zone
oiliness, and the photo-quality measures (sharpness, brightness, clipped and dark shares, face
size and share of the photo, head pose). Image width and height are left out: they describe the
camera, not the face.

The reference is the first ``REFERENCE_SAMPLES`` training samples (seeds ``config.seed + i``,
the same specs the heads were fitted on), rendered again from the synthetic generator, measured
and scored by the heads. Like the training rows, they are *not* put through the quality gate
(most synthetic crops would fail it: several faces, blur), so the reference describes what the
heads learnt from; the share that would pass is in the reference's details. Training writes it
next to the heads; ``skinlab drift reference skin-heads`` rebuilds it for shipped heads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.photos import shipped_photos
from data.records import AnalysisRecord
from data.vocabulary import CONCERN_NAMES_ZH, CONCERNS
from models.analyzer import HEADS_DIR, SkinAnalyzer
from models.heads import MANIFEST, HeadsManifest
from models.quality import assess_quality
from skinlab.db import make_engine, make_sessionmaker, upgrade_database, utcnow
from skinlab.settings import Settings
from training.config import SkinTrainConfig
from training.drift import drift_report
from training.drift_reference import DriftReference, reference_from_columns
from training.skin_dataset import SampleSpec, prepare_sources, random_spec, render

MODEL = "skin-heads"
REFERENCE_SAMPLES = 200
_Q = ("quality", "measures")
# name -> (path in the analysis JSON, English, Chinese)
MEASURES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "tone_ita_deg": (("tone", "ita_deg"), "skin tone ITA°", "肤色 ITA°"),
    "t_zone_oiliness": (("skin_type", "t_zone_oiliness"), "T-zone oiliness", "T 区出油"),
    "u_zone_oiliness": (("skin_type", "u_zone_oiliness"), "U-zone oiliness", "U 区出油"),
    "sharpness": ((*_Q, "sharpness"), "sharpness", "清晰度"),
    "brightness_l": ((*_Q, "brightness_l"), "face brightness L*", "面部亮度"),
    "clipped_fraction": (
        (*_Q, "clipped_fraction"),
        "overexposed share",
        "过曝比例",
    ),
    "dark_fraction": ((*_Q, "dark_fraction"), "underexposed share", "欠曝比例"),
    "face_fraction": ((*_Q, "face_fraction"), "face width / photo", "人脸占比"),
    "face_width_px": ((*_Q, "face_width_px"), "face width (px)", "人脸宽度"),
    "yaw_deg": ((*_Q, "yaw_deg"), "head yaw", "头部偏航角"),
    "pitch_deg": ((*_Q, "pitch_deg"), "head pitch", "头部俯仰角"),
    "roll_deg": ((*_Q, "roll_deg"), "head roll", "头部翻滚角"),
}


def _dig(document: Mapping[str, Any], path: Sequence[str]) -> float:
    value: Any = document
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return math.nan
        value = value[key]
    return float(value) if isinstance(value, int | float) else math.nan


def analysis_values(result: Mapping[str, Any]) -> dict[str, float]:
    """The drift variables of one analysis JSON; NaN for anything it lacks."""
    values = {f"score:{c}": _dig(result, ("scores", c, "score")) for c in CONCERNS}
    values.update({name: _dig(result, path) for name, (path, _en, _zh) in MEASURES.items()})
    return values


def _labels() -> dict[str, dict[str, str]]:
    labels = {
        f"score:{c}": {"en": f"{c} score", "zh": f"{CONCERN_NAMES_ZH[c]}评分"} for c in CONCERNS
    }
    labels.update({name: {"en": en, "zh": zh} for name, (_p, en, zh) in MEASURES.items()})
    return labels


def _columns(rows: Sequence[Mapping[str, float]]) -> dict[str, np.ndarray]:
    names = analysis_values({}).keys()
    return {name: np.asarray([row[name] for row in rows], dtype=np.float64) for name in names}


def training_specs(config: SkinTrainConfig, n: int) -> list[SampleSpec]:
    """The first ``n`` training samples of ``config`` (as ``training.skin`` draws them)."""
    return [
        random_spec(
            config.seed + i, active=config.active_probability, augment=config.augment_probability
        )
        for i in range(n)
    ]


def skin_reference(
    analyzer: SkinAnalyzer,
    photos: Sequence[Path],
    specs: Sequence[SampleSpec],
    *,
    source: str,
) -> DriftReference:
    """Render, measure and score ``specs`` on ``photos`` and summarise the analyses.

    Parameters
    ----------
    analyzer : SkinAnalyzer
        The heads to describe (and the face models that measure).
    photos : sequence of Path
        The training source photos.
    specs : sequence of SampleSpec
        The samples to render, e.g. :func:`training_specs`.
    source : str
        A sentence saying where the samples come from.
    """
    sources = prepare_sources(analyzer.measurer, photos)
    rows: list[dict[str, float]] = []
    passed = 0
    for spec in specs:
        image, _painted = render(spec, sources[spec.source % len(sources)])
        measurement = analyzer.measurer.measure(image)
        if measurement.features is None:
            continue
        report = assess_quality(measurement.quality, analyzer.settings)
        passed += report.ok
        result = analyzer.score(measurement, report)
        rows.append(analysis_values(result.model_dump(mode="json")))
    columns = _columns(rows)
    scores = {name: values for name, values in columns.items() if name.startswith("score:")}
    features = {name: values for name, values in columns.items() if name not in scores}
    return reference_from_columns(
        MODEL,
        analyzer.heads.version,
        source,
        features,
        scores,
        labels=_labels(),
        details={
            "samples": len(specs),
            "measured": len(rows),
            "quality_gate_passed": passed,
            "seeds": [specs[0].seed, specs[-1].seed] if specs else [],
        },
    )


def shipped_reference(settings: Settings, n: int = REFERENCE_SAMPLES) -> DriftReference:
    """Rebuild the reference of the heads in ``settings.models_dir`` from their training config."""
    import json

    folder = settings.models_dir / HEADS_DIR
    manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    config = SkinTrainConfig.model_validate(manifest["config"])
    n = min(n, config.train_samples)
    return skin_reference(
        SkinAnalyzer(settings.models_dir, settings, heads_dir=folder),
        shipped_photos(config.train_photos),
        training_specs(config, n),
        source=(
            f"first {n} synthetic training samples (seeds {config.seed}..{config.seed + n - 1}, "
            f"photos '{config.train_photos}'), re-rendered and scored by heads "
            f"{manifest['version']}"
        ),
    )


def recent_analyses(
    session: Session, since_days: float, now: datetime
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Drift variables of the analyses stored within ``since_days`` before ``now``.

    Returns the columns by variable name and facts about them (window, count, model versions).
    """
    start = now - timedelta(days=since_days)
    query = select(AnalysisRecord.result, AnalysisRecord.model_version).where(
        AnalysisRecord.created_at >= start, AnalysisRecord.created_at <= now
    )
    rows: list[dict[str, float]] = []
    versions: dict[str, int] = {}
    for result, version in session.execute(query):
        rows.append(analysis_values(result))
        versions[version] = versions.get(version, 0) + 1
    details = {
        "since": start.isoformat(timespec="seconds"),
        "until": now.isoformat(timespec="seconds"),
        "analyses": len(rows),
        "model_versions": versions,
    }
    return _columns(rows), details


def skin_heads_drift(
    settings: Settings, since_days: float = 30.0, now: datetime | None = None
) -> dict[str, Any]:
    """The drift report of the analyses stored in the last ``since_days`` days."""
    reference = DriftReference.load(settings.models_dir / HEADS_DIR)
    engine = make_engine(settings.database_url)
    try:
        if settings.auto_migrate:
            upgrade_database(settings, engine=engine)
        with make_sessionmaker(engine)() as session:
            columns, details = recent_analyses(session, since_days, now or utcnow())
    finally:
        engine.dispose()
    details["model_version_in_use"] = HeadsManifest.read(settings.models_dir / HEADS_DIR).version
    source = f"analyses stored in the last {since_days:g} days (table analyses)"
    return drift_report(reference, columns, current_source=source, details=details)
