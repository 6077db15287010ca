"""The analyze bench runs the real service in-process and reports what the issue asks for."""

from __future__ import annotations

import cv2
import numpy as np

from serving.bench import BENCH_SIZE, bench_analyze, bench_jpeg
from skinlab.settings import Settings


def test_bench_image_is_a_1280x960_jpeg() -> None:
    decoded = cv2.imdecode(np.frombuffer(bench_jpeg(), np.uint8), cv2.IMREAD_COLOR)
    assert (decoded.shape[1], decoded.shape[0]) == BENCH_SIZE


def test_bench_reports_percentiles_ratio_and_memory() -> None:
    report = bench_analyze(Settings(), n=4)
    assert report["n"] == 4
    for key in ("analyze_ms", "decode_ms"):
        assert 0 < report[key]["p50"] <= report[key]["p95"]
    # The whole request decodes the same bytes and then does much more.
    assert report["analyze_ms"]["p50"] > report["decode_ms"]["p50"]
    assert report["ratio_p50"] == round(report["analyze_ms"]["p50"] / report["decode_ms"]["p50"], 2)
    assert report["peak_rss_mb"] > 50
    assert set(report["analyzer_stage_p50_ms"]) >= {"measure", "score", "total"}
