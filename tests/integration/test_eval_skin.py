"""``skinlab eval skin``: the shipped heads on a group of faces, every figure with its verdict.

The sweep grid and the capture changes are cut down here (two tones, three severities, two
changes) so the command runs in seconds; the figures it reports must still be the ones its own
evaluation measured, and each verdict must follow its figure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import training.skin_eval as skin_eval
from data.images import decode_image
from data.photos import shipped_photos
from data.vocabulary import CONCERNS
from models.analyzer import HEADS_DIR, SkinAnalyzer
from models.heads import MANIFEST
from skinlab.cli import app
from skinlab.settings import SHIPPED_MODELS_DIR, Settings
from training.skin_targets import TARGETS, figures
from training.skin_validation import MET, NOT_MET, judge, verdict

runner = CliRunner()
# Three severities can leave a face's score flat for a concern at one tone; scipy warns that
# rho is undefined there and summarise_sweep averages such groups with nanmean.
pytestmark = pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")


@pytest.fixture
def small_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps a narrow table's cells
    monkeypatch.setattr(skin_eval, "SWEEP_TONES", (55.0, -35.0))
    monkeypatch.setattr(skin_eval, "SWEEP_SEVERITIES", (0.0, 0.5, 1.0))
    monkeypatch.setattr(skin_eval, "CAPTURE_CHANGES", skin_eval.CAPTURE_CHANGES[:3:2])


def test_verdicts_hold_at_the_bound_and_flip_past_it() -> None:
    assert verdict("spearman", 0.9) == MET and verdict("spearman", 0.8999) == NOT_MET
    assert verdict("capture_max_delta", 5.0) == MET
    assert verdict("capture_max_delta", 5.01) == NOT_MET
    measured: dict[str, dict[str, float]] = {
        c: {
            "spearman": 0.95,
            "spearman_within_face": 0.95,
            "spearman_within_person": 0.1,
            "tone_gap": 0.1,
            "capture_max_delta": 2.0,
        }
        for c in CONCERNS
    }
    measured["acne"]["tone_gap"] = 0.26
    report = judge(measured)
    assert report["targets_total"] == len(CONCERNS) * len(TARGETS)
    assert report["targets_met"] == report["targets_total"] - 1
    assert report["concerns"]["acne"]["tone_gap"]["verdict"] == NOT_MET
    # no target on it: reported as a plain number, never judged
    assert report["concerns"]["acne"]["spearman_within_person"] == 0.1


def test_validation_faces_pass_the_quality_gate_as_uploads() -> None:
    settings = Settings(_env_file=None, environment="test")
    analyzer = SkinAnalyzer.load(settings)
    for path in shipped_photos("synthetic-validation"):
        image = decode_image(
            path.read_bytes(),
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            min_side=settings.min_image_side,
        )
        assert analyzer.analyze(image.rgb).quality.ok, path.name  # raises if the gate refuses


def test_eval_skin_reports_each_figure_with_the_verdict_it_earns(
    cli_env: Path, small_grid: None
) -> None:
    result = runner.invoke(app, ["eval", "skin", "--photos", "synthetic-test", "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["photos"] == {
        "group": "synthetic-test",
        "capture_group": "synthetic-test",
        "sweep": ["0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg"],
        "capture": ["0-f15-hao-ph.jpg", "15-f13-anc-ph.jpg"],
    }
    assert "sweep 2/2: 15-f13-anc-ph" in result.stderr
    assert set(report["behaviour"]["invariance"]["detail"]) == {
        f"{stem}:{name}"
        for stem in ("0-f15-hao-ph", "15-f13-anc-ph")
        for name in ("jpeg70", "bright+15%")
    }
    measured = figures(report["behaviour"])
    met = 0
    for concern in CONCERNS:
        row = report["concerns"][concern]
        assert row["spearman_within_person"] == measured[concern]["spearman_within_person"]
        for name, (direction, bound) in TARGETS.items():
            value = measured[concern][name]
            assert row[name]["value"] == value
            assert row[name]["target"] == f"{direction} {bound:g}"
            holds = value >= bound if direction == ">=" else value <= bound
            assert row[name]["verdict"] == (MET if holds else NOT_MET), (concern, name)
            met += holds
    assert report["targets_met"] == met
    shipped = json.loads((SHIPPED_MODELS_DIR / HEADS_DIR / MANIFEST).read_text("utf-8"))
    assert report["heads_version"] == shipped["version"]
    assert report["reference"]["sweep"] == shipped["data"]["test_photos"]
    assert report["reference"]["figures"] == figures(shipped["behaviour"])


def test_the_table_marks_missed_targets(cli_env: Path, small_grid: None) -> None:
    result = runner.invoke(app, ["eval", "skin"])
    assert result.exit_code == 0, result.output
    assert "photos: grace_hopper.jpg" in result.stdout
    met, total = map(int, result.stdout.split("targets met: ")[1].split(" of "))
    assert total == len(CONCERNS) * len(TARGETS)
    assert result.stdout.count("✗") == total - met


def test_an_empty_group_exits_2(cli_env: Path) -> None:
    result = runner.invoke(app, ["eval", "skin", "--photos", "no-such-group"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "INVALID_INPUT"
