"""The promotion gate: match or beat the champion on every gated metric, within its tolerance."""

from __future__ import annotations

import math

import pytest

from training._registry_gate import GATES, GateRule, PromotionRefused, gate, judge, refusal

AUC = GateRule("roc_auc", "higher", 0.002, "ROC AUC")
ECE = GateRule("ece", "lower", 0.001, "ECE")


@pytest.mark.parametrize(
    ("rule", "champion", "challenger", "passes"),
    [
        (AUC, 0.900, 0.900, True),  # a match passes
        (AUC, 0.900, 0.930, True),  # better
        (AUC, 0.900, 0.8985, True),  # worse, but within the tolerance
        (AUC, 0.900, 0.8975, False),  # worse by more than the tolerance
        (ECE, 0.002, 0.002, True),
        (ECE, 0.002, 0.001, True),  # lower is better
        (ECE, 0.002, 0.0029, True),
        (ECE, 0.002, 0.0035, False),
        (AUC, 0.900, math.nan, False),  # an unmeasurable challenger never passes
        (ECE, 0.002, math.nan, False),
    ],
)
def test_match_or_beat_with_a_tolerance_in_the_metric_direction(
    rule: GateRule, champion: float, challenger: float, passes: bool
) -> None:
    verdict = judge(rule, champion, challenger)
    assert verdict.passes is passes
    assert verdict.metric == rule.metric and verdict.better == rule.better
    if not math.isnan(challenger):
        assert verdict.delta == pytest.approx(challenger - champion)


def test_every_model_type_names_its_gated_metrics() -> None:
    assert [r.metric for r in GATES["propensity"]] == ["roc_auc", "ece"]
    assert [r.metric for r in GATES["skin-heads"]] == ["spearman_within_face", "mae"]
    assert {r.better for r in GATES["propensity"]} == {"higher", "lower"}
    assert all(r.tolerance > 0 and r.description for rules in GATES.values() for r in rules)


def test_the_refusal_names_each_worse_metric_and_by_how_much_in_both_languages() -> None:
    verdicts = gate("propensity", {"roc_auc": 0.90, "ece": 0.002}, {"roc_auc": 0.80, "ece": 0.0021})
    assert [v.passes for v in verdicts] == [False, True]
    error = refusal("skinlab-propensity", 2, 1, verdicts, "ab" * 32)
    assert isinstance(error, PromotionRefused)
    assert error.code == "PROMOTION_REFUSED" and error.status == 409
    assert "roc_auc 0.8000 vs 0.9000 (-0.1000" in error.message
    assert "ece" not in error.message  # within its tolerance, so not a reason
    assert "roc_auc 0.8000 对 0.9000" in error.message_zh and "越高越好" in error.message_zh
    assert error.details["frozen_set"] == "ab" * 32
    assert [w["metric"] for w in error.details["worse"]] == ["roc_auc"]
    assert error.hint is not None and "--force --reason" in error.hint
