"""The skin test's behaviour targets and the figures of one evaluation they judge.

Four targets per concern, from the skin-test issue: Spearman ρ between painted severity and
score ≥ 0.9 pooled over people and tones and within each face; an untouched face's score moves
at most 5 points under the capture changes; the mean error on the darkest tone differs from the
lightest by at most 25 %.
"""

from __future__ import annotations

from typing import Any

from data.vocabulary import CONCERNS

# figure -> (direction, bound)
TARGETS: dict[str, tuple[str, float]] = {
    "spearman": (">=", 0.9),
    "spearman_within_face": (">=", 0.9),
    "tone_gap": ("<=", 0.25),
    "capture_max_delta": ("<=", 5.0),
}


def figures(behaviour: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per concern, the figures that have a target (plus ρ within each person) of one run.

    Parameters
    ----------
    behaviour : dict
        ``training.skin_eval.evaluate_analyzer``'s report (``sweep`` and ``invariance``).
    """
    sweep, delta = behaviour["sweep"], behaviour["invariance"]["max_delta"]
    return {
        concern: {
            "spearman": float(sweep[concern]["spearman"]),
            "spearman_within_face": float(sweep[concern]["spearman_within_face"]),
            "spearman_within_person": float(sweep[concern]["spearman_within_person"]),
            "tone_gap": float(sweep[concern]["tone_gap"]),
            "capture_max_delta": float(delta[concern]),
        }
        for concern in CONCERNS
    }


def target_text(name: str) -> str:
    """The target of the figure ``name`` as text, e.g. ``>= 0.9``."""
    direction, bound = TARGETS[name]
    return f"{direction} {bound:g}"


def meets(name: str, value: float) -> bool:
    """Whether ``value`` of the figure ``name`` meets its target (the bound itself meets it)."""
    direction, bound = TARGETS[name]
    return value >= bound if direction == ">=" else value <= bound


def targets_met(run: dict[str, dict[str, float]]) -> int:
    """How many of the ``len(CONCERNS) * len(TARGETS)`` targets one run meets."""
    return sum(meets(name, values[name]) for values in run.values() for name in TARGETS)
