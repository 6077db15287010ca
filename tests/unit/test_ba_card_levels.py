"""The monthly-card panel's words for a probability: cut-offs relative to the model's base rate."""

from __future__ import annotations

import json
from typing import Any

import pytest

from data.contacts import CONTACT_OUTCOMES as API_OUTCOMES
from serving.ba.card_levels import HIGH_LIFT, CardCutoffs, base_rate, card_cutoffs
from serving.ba.labels import CONTACT_OUTCOMES, VALUE_KEYS, all_labels
from skinlab.settings import SHIPPED_MODELS_DIR


def _manifest(metrics_rate: Any = None, test_rate: Any = None) -> dict[str, Any]:
    return {
        "metrics": {"lightgbm": {"base_rate": metrics_rate}},
        "data": {"test": {"base_rate": test_rate}},
    }


@pytest.mark.parametrize(
    ("probability", "level"),
    [
        (0.0, "low"),
        (0.0099, "low"),
        (0.01, "medium"),
        (0.0299, "medium"),
        (0.03, "high"),
        (0.9, "high"),
    ],
)
def test_levels_are_multiples_of_the_base_rate(probability: float, level: str) -> None:
    cutoffs = card_cutoffs(_manifest(0.01))
    assert cutoffs == CardCutoffs(base_rate=0.01, medium=0.01, high=HIGH_LIFT * 0.01)
    assert cutoffs.level(probability) == level


@pytest.mark.parametrize(
    ("manifest", "rate"),
    [
        (_manifest(0.007, 0.008), 0.007),  # the held-out metrics first
        (_manifest(None, 0.008), 0.008),  # else the held-out data summary
        (_manifest(0, 0.008), 0.008),  # a rate of 0 or 1 says nothing
        (_manifest("0.007", None), None),
        (_manifest(1.0, None), None),
        ({}, None),
    ],
)
def test_base_rate_is_read_from_the_manifest(manifest: dict[str, Any], rate: float | None) -> None:
    assert base_rate(manifest) == rate
    assert (card_cutoffs(manifest) is None) == (rate is None)


def test_the_shipped_model_has_a_base_rate() -> None:
    manifest = json.loads((SHIPPED_MODELS_DIR / "propensity" / "manifest.json").read_text())
    cutoffs = card_cutoffs(manifest)
    assert cutoffs is not None and 0.001 < cutoffs.base_rate < 0.05


def test_the_page_has_words_for_every_outcome_and_value_dimension() -> None:
    assert sorted(CONTACT_OUTCOMES) == sorted(API_OUTCOMES)
    for labels in all_labels().values():
        assert all(labels[f"o_{outcome}"] for outcome in CONTACT_OUTCOMES)
        assert all(labels[f"v_{key}"] for key in VALUE_KEYS)
        for level in ("high", "medium", "low"):
            assert labels[f"level_{level}"]
