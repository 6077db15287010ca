"""``skinlab train skin-seeds``: one training table, several seeds, the spread of every figure."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import yaml

from data.photos import FACES_DIR
from data.vocabulary import CONCERNS
from skinlab.settings import SHIPPED_MODELS_DIR, Settings
from training.skin_seed_spread import seed_spread, summarise
from training.skin_targets import TARGETS, targets_met


def _run(value: float) -> dict[str, dict[str, float]]:
    """Figures of one run with every concern at the same values."""
    return {
        concern: {
            "spearman": value,
            "spearman_within_face": value,
            "spearman_within_person": value,
            "tone_gap": 1.0 - value,
            "capture_max_delta": 10.0 * (1.0 - value),
        }
        for concern in CONCERNS
    }


def test_targets_are_counted_at_their_bounds() -> None:
    # 0.9 meets rho >= 0.9; tone gap 0.1 <= 0.25; capture 1.0 <= 5: all four, every concern
    assert targets_met(_run(0.9)) == len(CONCERNS) * len(TARGETS)
    # 0.7: rho misses twice, tone gap 0.3 misses, capture 3.0 meets
    assert targets_met(_run(0.7)) == len(CONCERNS)
    run = _run(0.9)
    run["acne"]["capture_max_delta"] = 5.01
    assert targets_met(run) == len(CONCERNS) * len(TARGETS) - 1


def test_summary_gives_min_median_max_per_figure() -> None:
    summary = summarise([_run(0.7), _run(0.95), _run(0.8)])
    assert summary["spread"]["redness"]["spearman"] == {"min": 0.7, "median": 0.8, "max": 0.95}
    assert summary["spread"]["acne"]["capture_max_delta"]["max"] == pytest.approx(3.0)
    assert summary["targets_met_per_seed"] == [8, 32, 16]


# A 40-sample, 20-tree model gives some face one score at every severity, whose Spearman rho
# scipy declines to define (summarise_sweep averages those with nanmean).
@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")
def test_seeds_move_the_figures_and_leave_the_shipped_heads_alone(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for name in ("face_detector.onnx", "face_landmarks.onnx"):
        shutil.copy(SHIPPED_MODELS_DIR / name, models / name)
    settings = Settings(
        _env_file=None, environment="test", data_dir=tmp_path / "var", models_dir=models
    )  # type: ignore[call-arg]
    config = tmp_path / "tiny.yaml"
    config.write_text(
        yaml.safe_dump(
            {"train_samples": 40, "test_samples": 8, "workers": 1, "lightgbm": {"n_estimators": 20}}
        ),
        encoding="utf-8",
    )
    lines: list[str] = []
    study = seed_spread(
        settings,
        seeds=2,
        config=config,
        test_photos=[FACES_DIR / "0-f15-hao-ph.jpg"],
        invariance_photos=[FACES_DIR / "0-f15-hao-ph.jpg"],
        progress=lines.append,
    )
    assert study["seeds"] == [20261123, 20261124]
    assert len(lines) == 2 and lines[0].startswith("seed 20261123:")
    first, second = study["runs"]
    moved = [
        (concern, name)
        for concern in CONCERNS
        for name, value in first[concern].items()
        if math.isfinite(value)
        and math.isfinite(second[concern][name])
        and value != second[concern][name]
    ]
    assert moved, "a different LightGBM seed gave identical figures"
    assert study["targets_met_per_seed"] == [targets_met(first), targets_met(second)]
    for concern in CONCERNS:
        for name, bounds in study["spread"][concern].items():
            values = sorted([first[concern][name], second[concern][name]])
            if not all(math.isfinite(v) for v in values):
                continue
            assert bounds["min"] == pytest.approx(values[0], abs=1e-3)
            assert bounds["max"] == pytest.approx(values[1], abs=1e-3)
    assert not (models / "skin_heads").exists()
