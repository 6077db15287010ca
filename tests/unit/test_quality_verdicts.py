"""The quality verdicts: each code, their priority order, inclusive limits and the raised error."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from models.quality import QUALITY_CODES, assess_quality, first_failure
from models.results import QualityMeasures, QualityReport
from skinlab.errors import QUALITY_MESSAGES, QualityFailed
from skinlab.settings import Settings


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    return settings_factory()


def build_measures(**overrides: float) -> QualityMeasures:
    """Measures that pass the default thresholds; keywords change single fields."""
    values: dict[str, float] = {
        "image_width": 1000,
        "image_height": 1200,
        "faces_found": 1,
        "face_width_px": 400.0,
        "face_fraction": 0.4,
        "sharpness": 80.0,
        "brightness_l": 60.0,
        "clipped_fraction": 0.01,
        "dark_fraction": 0.05,
        "yaw_deg": 0.0,
        "pitch_deg": 0.0,
        "roll_deg": 0.0,
    }
    return QualityMeasures.model_validate(values | overrides)


FAILURES: dict[str, dict[str, float]] = {
    "NO_FACE": {"faces_found": 0},
    "MULTIPLE_FACES": {"faces_found": 2},
    "FACE_TOO_SMALL": {"face_width_px": 100.0},
    "TOO_DARK": {"brightness_l": 20.0},
    "OVEREXPOSED": {"brightness_l": 95.0},
    "TOO_BLURRY": {"sharpness": 10.0},
    "HEAD_TILTED": {"roll_deg": -30.0},
    "HEAD_TURNED": {"yaw_deg": 40.0},
}


def test_codes_match_the_customer_messages() -> None:
    assert set(QUALITY_CODES) == set(QUALITY_MESSAGES) == set(FAILURES)


def test_good_measures_pass(settings: Settings) -> None:
    report = assess_quality(build_measures(), settings)
    assert report.ok and report.issues == []
    assert report.measures == build_measures()


@pytest.mark.parametrize("code", FAILURES)
def test_each_code_alone(code: str, settings: Settings) -> None:
    assert assess_quality(build_measures(**FAILURES[code]), settings).issues == [code]


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"face_fraction": 0.05}, "FACE_TOO_SMALL"),
        ({"clipped_fraction": 0.9}, "OVEREXPOSED"),
        ({"pitch_deg": -40.0}, "HEAD_TURNED"),
        ({"yaw_deg": -26.0}, "HEAD_TURNED"),
        ({"roll_deg": 21.0}, "HEAD_TILTED"),
        ({"sharpness": float("nan")}, "TOO_BLURRY"),
        ({"yaw_deg": float("nan")}, "HEAD_TURNED"),
    ],
)
def test_other_triggers(overrides: dict[str, float], code: str, settings: Settings) -> None:
    assert assess_quality(build_measures(**overrides), settings).issues == [code]


def test_thresholds_are_inclusive_limits(settings: Settings) -> None:
    at_limits = build_measures(
        face_width_px=settings.min_face_width_px,
        face_fraction=settings.min_face_fraction,
        sharpness=settings.min_sharpness,
        brightness_l=settings.min_brightness_l,
        clipped_fraction=settings.max_clipped_fraction,
        yaw_deg=-settings.max_yaw_deg,
        pitch_deg=settings.max_pitch_deg,
        roll_deg=settings.max_roll_deg,
    )
    assert assess_quality(at_limits, settings).ok


def test_all_failures_are_listed_in_priority_order(settings: Settings) -> None:
    everything = build_measures(
        faces_found=3,
        face_width_px=50.0,
        brightness_l=10.0,
        clipped_fraction=0.9,
        sharpness=1.0,
        roll_deg=45.0,
        yaw_deg=45.0,
    )
    report = assess_quality(everything, settings)
    assert report.issues == [code for code in QUALITY_CODES if code != "NO_FACE"]


def test_without_a_face_only_light_verdicts_join_no_face(settings: Settings) -> None:
    measures = build_measures(faces_found=0, face_width_px=0.0, face_fraction=0.0, sharpness=0.0)
    assert assess_quality(measures, settings).issues == ["NO_FACE"]
    dark = measures.model_copy(update={"brightness_l": 5.0, "yaw_deg": 90.0})
    assert assess_quality(dark, settings).issues == ["NO_FACE", "TOO_DARK"]


def test_thresholds_come_from_settings(settings: Settings) -> None:
    strict = settings.model_copy(update={"min_sharpness": 100.0})
    assert assess_quality(build_measures(sharpness=80.0), strict).issues == ["TOO_BLURRY"]


def test_first_failure_is_the_first_issue_with_details(settings: Settings) -> None:
    measures = build_measures(sharpness=1.0, roll_deg=45.0)
    error = first_failure(assess_quality(measures, settings))
    assert isinstance(error, QualityFailed)
    assert (error.code, error.status) == ("TOO_BLURRY", 422)
    assert (error.message, error.message_zh, error.hint, error.hint_zh) == QUALITY_MESSAGES[
        "TOO_BLURRY"
    ]
    assert error.details["issues"] == ["TOO_BLURRY", "HEAD_TILTED"]
    assert error.details["measures"]["sharpness"] == 1.0


def test_first_failure_of_a_passing_report_is_no_face(settings: Settings) -> None:
    assert first_failure(QualityReport(ok=True)).code == "NO_FACE"
