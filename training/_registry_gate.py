"""The promotion gate: a challenger must match or beat the champion on every gated metric.

Each model type names its gated metrics, which direction is better and how much worse still
counts as a match. Both models are scored on the same frozen set, so the tolerance is not for
sampling noise between sets but for retrains that are equal in substance (another seed moves
ROC AUC by about a thousandth); anything worse than that is a regression and refuses the
promotion unless it is forced with a recorded reason.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from skinlab.errors import SkinlabError

Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class GateRule:
    """One gated metric: ``higher`` or ``lower`` is better; ``tolerance`` is an absolute slack."""

    metric: str
    better: Direction
    tolerance: float
    description: str


@dataclass(frozen=True)
class MetricVerdict:
    """How the challenger did against the champion on one gated metric."""

    metric: str
    better: Direction
    tolerance: float
    champion: float
    challenger: float
    delta: float  # challenger - champion
    passes: bool


GATES: dict[str, tuple[GateRule, ...]] = {
    "skin-heads": (
        GateRule(
            "spearman_within_face",
            "higher",
            0.01,
            "mean over concerns of Spearman ρ between painted severity and face score, "
            "within each face and tone",
        ),
        GateRule(
            "mae",
            "lower",
            0.5,
            "mean absolute error (0-100 points) of the face score vs the painted severity",
        ),
    ),
    "propensity": (
        GateRule("roc_auc", "higher", 0.002, "ROC AUC of the calibrated probability"),
        GateRule(
            "ece", "lower", 0.001, "expected calibration error, 10 equal-count bins (absolute)"
        ),
    ),
}


def judge(rule: GateRule, champion: float, challenger: float) -> MetricVerdict:
    """Whether ``challenger`` matches or beats ``champion`` on ``rule`` (NaN never passes)."""
    delta = challenger - champion
    slack = delta if rule.better == "higher" else -delta
    passes = bool(slack >= -rule.tolerance)  # False for NaN
    return MetricVerdict(
        rule.metric, rule.better, rule.tolerance, champion, challenger, delta, passes
    )


def gate(
    model_type: str, champion: dict[str, float], challenger: dict[str, float]
) -> list[MetricVerdict]:
    """One verdict per gated metric of ``model_type``, in the order of ``GATES``."""
    return [judge(r, champion[r.metric], challenger[r.metric]) for r in GATES[model_type]]


class PromotionRefused(SkinlabError):
    """The challenger is worse than the champion on the frozen set; ``details`` say how much."""

    status = 409
    code = "PROMOTION_REFUSED"
    message = "The challenger is worse than the champion on the frozen evaluation set."
    message_zh = "挑战者模型在冻结评估集上不如当前冠军模型。"
    hint = "Retrain, or promote anyway with --force --reason TEXT (the reason is recorded)."
    hint_zh = "请重新训练；或使用 --force --reason 说明原因后强制上线（原因会被记录）。"


def _direction_zh(better: Direction) -> str:
    return "越高越好" if better == "higher" else "越低越好"


def refusal(
    model_name: str,
    candidate: int,
    champion: int,
    verdicts: list[MetricVerdict],
    fingerprint: str,
) -> PromotionRefused:
    """The error naming every worse metric, by how much and with what tolerance."""
    worse = [v for v in verdicts if not v.passes]
    en = "; ".join(
        f"{v.metric} {v.challenger:.4f} vs {v.champion:.4f} ({v.delta:+.4f}, {v.better} is "
        f"better, tolerance {v.tolerance:g})"
        for v in worse
    )
    zh = "；".join(
        f"{v.metric} {v.challenger:.4f} 对 {v.champion:.4f}（差 {v.delta:+.4f}，"
        f"{_direction_zh(v.better)}，容差 {v.tolerance:g}）"
        for v in worse
    )
    return PromotionRefused(
        f"Version {candidate} of {model_name} is worse than champion {champion} on the frozen "
        f"evaluation set {fingerprint[:12]}: {en}.",
        message_zh=f"{model_name} 第 {candidate} 版在冻结评估集 {fingerprint[:12]} 上不如"
        f"当前冠军第 {champion} 版：{zh}。",
        details={
            "model": model_name,
            "candidate": candidate,
            "champion": champion,
            "frozen_set": fingerprint,
            "worse": [asdict(v) for v in worse],
        },
    )


def verdicts_json(verdicts: list[MetricVerdict]) -> list[dict[str, Any]]:
    """The verdicts as plain dictionaries (for tags, JSON output and error details)."""
    return [asdict(v) for v in verdicts]
