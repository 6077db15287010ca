"""``bench_analyze`` times the decode + analysis path on the shipped photos."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from serving.bench import bench_analyze
from skinlab.settings import Settings


def test_bench_reports_latency_percentiles(
    settings_factory: Callable[..., Settings], fake_analyzer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loader = types.SimpleNamespace(load=lambda _settings: fake_analyzer)
    monkeypatch.setitem(sys.modules, "models.analyzer", types.SimpleNamespace(SkinAnalyzer=loader))
    report = bench_analyze(settings_factory(), n=3)
    assert report["n"] == 3
    assert report["photos"] >= 1
    assert report["photos_refused"] == 0
    assert 0 <= report["p50_ms"] <= report["p90_ms"] <= report["p99_ms"] <= report["max_ms"]
    assert report["per_second"] > 0
    assert report["model_version"] == "fake-1"
    assert fake_analyzer.calls == report["photos"] + 3
