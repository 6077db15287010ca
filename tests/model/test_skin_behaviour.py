"""Behavioural tables on the shipped skin model, measured afresh on held-out faces.

The thresholds are the issue's targets where the model meets them; where it does not yet, the
test pins the floor the shipped model measured so a regression fails, and the model card and
README say which target is unmet.
"""

from __future__ import annotations

from typing import Any

import pytest

from data.photos import shipped_photos
from data.vocabulary import CONCERNS, Concern
from models.analyzer import SkinAnalyzer
from skinlab.settings import Settings
from training.skin_eval import evaluate_analyzer

# Spearman ρ between injected severity and score (issue target: 0.9 for every concern).
MIN_SPEARMAN: dict[Concern, float] = dict.fromkeys(CONCERNS, 0.9)
# Largest score change of an untouched face under capture changes (issue target: 5 points).
MAX_CAPTURE_DELTA = 5.0
# Relative MAE gap between the lightest and darkest tone (issue target: 25 %).
MAX_TONE_GAP = 0.25


@pytest.fixture(scope="module")
def behaviour() -> dict[str, Any]:
    settings = Settings(_env_file=None, environment="test")  # type: ignore[call-arg]
    analyzer = SkinAnalyzer.load(settings)
    return evaluate_analyzer(
        analyzer, shipped_photos("synthetic-test"), shipped_photos("invariance")
    )


@pytest.mark.parametrize("concern", CONCERNS)
def test_score_rank_follows_injected_severity(behaviour: dict[str, Any], concern: Concern) -> None:
    assert behaviour["sweep"][concern]["spearman"] >= MIN_SPEARMAN[concern]


@pytest.mark.parametrize("concern", CONCERNS)
def test_untouched_face_scores_are_stable_under_capture_changes(
    behaviour: dict[str, Any], concern: Concern
) -> None:
    assert behaviour["invariance"]["max_delta"][concern] <= MAX_CAPTURE_DELTA


@pytest.mark.parametrize("concern", CONCERNS)
def test_error_is_similar_on_light_and_dark_skin(
    behaviour: dict[str, Any], concern: Concern
) -> None:
    assert behaviour["sweep"][concern]["tone_gap"] <= MAX_TONE_GAP
