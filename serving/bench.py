"""``skinlab bench analyze``: latency of the analysis path (decode + skin test) on real photos.

It times what ``POST /analyze`` does per request apart from HTTP and the database write, on the
shipped face photos that pass the quality gate, after a warm-up pass over each of them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from skinlab.errors import QualityFailed
from skinlab.settings import PROJECT_ROOT, Settings

BENCH_OUT = PROJECT_ROOT / "bench-out"
PHOTO_USES = ("synthetic-test", "synthetic-train")


def bench_analyze(settings: Settings, *, n: int = 200, json_out: bool = False) -> dict[str, Any]:
    """Analyse ``n`` photos (cycling through the shipped ones) and report latency.

    Parameters
    ----------
    settings : Settings
        Where the models are, and the upload limits used to decode.
    n : int
        Number of timed analyses.
    json_out : bool
        Also write the report to ``bench-out/analyze.json``.

    Returns
    -------
    dict
        ``n``, ``photos``, ``photos_refused`` (by the quality gate, not timed), ``load_ms``,
        ``mean_ms``, ``p50_ms``, ``p90_ms``, ``p99_ms``, ``max_ms``, ``per_second`` and
        ``model_version``.
    """
    from data.images import decode_image
    from data.photos import shipped_photos
    from models.analyzer import SkinAnalyzer

    photos = [path.read_bytes() for use in PHOTO_USES for path in shipped_photos(use)]
    if not photos:
        raise FileNotFoundError("no shipped face photos to benchmark with (data/faces)")
    started = time.perf_counter()
    analyzer = SkinAnalyzer.load(settings)
    load_ms = (time.perf_counter() - started) * 1000

    def run_once(raw: bytes) -> bool:
        image = decode_image(
            raw,
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            min_side=settings.min_image_side,
        )
        try:
            analyzer.analyze(image.rgb)
        except QualityFailed:
            return False
        return True

    # The warm-up pass also drops photos the quality gate refuses: they stop early and
    # would flatter the numbers.
    usable = [raw for raw in photos if run_once(raw)]
    if not usable:
        raise RuntimeError("no shipped photo passes the quality gate; nothing to time")
    timings = []
    for index in range(n):
        started = time.perf_counter()
        run_once(usable[index % len(usable)])
        timings.append((time.perf_counter() - started) * 1000)
    ms = np.asarray(timings)
    report: dict[str, Any] = {
        "n": n,
        "photos": len(usable),
        "photos_refused": len(photos) - len(usable),
        "load_ms": round(load_ms, 1),
        "mean_ms": round(float(ms.mean()), 2),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p90_ms": round(float(np.percentile(ms, 90)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "per_second": round(1000 * n / float(ms.sum()), 2),
        "model_version": analyzer.model_version,
    }
    if json_out:
        _write_report(BENCH_OUT / "analyze.json", report)
    return report


def _write_report(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
