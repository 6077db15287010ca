"""The shipped skin heads scored on a group of faces, each behaviour figure judged by its target.

The figures in the shipped manifest come from the two ``synthetic-test`` people, on whom every
earlier change was also judged. ``synthetic-validation`` holds other people again, used for
neither training nor those figures, so a change can be checked on faces it was not tuned on.
The same evaluation (``training.skin_eval``) runs on the group's photos, for the severity sweep
and (unless another group is named) for the capture changes, and each figure gets a verdict
against the issue's target (``training.skin_targets.TARGETS``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from data.photos import shipped_photos
from data.vocabulary import CONCERNS
from models.analyzer import SkinAnalyzer
from skinlab.errors import InvalidInput
from skinlab.settings import Settings
from training.skin_eval import evaluate_analyzer
from training.skin_targets import TARGETS, figures, meets, target_text

VALIDATION_GROUP = "synthetic-validation"
MET, NOT_MET = "met", "not met"


def verdict(name: str, value: float) -> str:
    """``met`` when ``value`` of the figure ``name`` meets its target (bound included)."""
    return MET if meets(name, value) else NOT_MET


def judge(measured: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Each concern's figures with a verdict for every figure that has a target.

    Parameters
    ----------
    measured : dict
        :func:`training.skin_targets.figures` of one evaluation.

    Returns
    -------
    dict
        ``concerns`` (per concern, every figure; those with a target as ``value``, ``target``
        and ``verdict``), ``targets_met`` and ``targets_total``.
    """
    concerns: dict[str, dict[str, Any]] = {}
    met = 0
    for concern in CONCERNS:
        row: dict[str, Any] = {}
        for name, value in measured[concern].items():
            if name not in TARGETS:
                row[name] = value
                continue
            outcome = verdict(name, value)
            met += outcome == MET
            row[name] = {"value": value, "target": target_text(name), "verdict": outcome}
        concerns[concern] = row
    return {
        "concerns": concerns,
        "targets_met": met,
        "targets_total": len(CONCERNS) * len(TARGETS),
    }


def validate_skin(
    settings: Settings,
    *,
    group: str = VALIDATION_GROUP,
    capture_group: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Evaluate the configured skin heads on one group of shipped photos.

    Parameters
    ----------
    settings : Settings
        Where the face models and skin heads are (``models_dir``).
    group : str
        ``use`` group of ``data/faces/SOURCES.yaml`` whose photos are swept.
    capture_group : str, optional
        ``use`` group for the capture changes; ``group`` by default (``invariance`` gives the
        photos the shipped manifest's capture figures were measured on).
    progress : callable, optional
        Called with a line of text as each face or photo starts.

    Returns
    -------
    dict
        ``heads_version``, ``photos`` (group, sweep and capture photo names), :func:`judge` of
        the figures, ``reference`` (the figures in the heads' manifest with the photos they were
        measured on, or ``None`` if it has none), and ``behaviour`` (the full evaluation).

    Raises
    ------
    InvalidInput
        If a group has no photo.
    """
    swept = _group_photos(group)
    capture = swept if capture_group is None else _group_photos(capture_group)
    analyzer = SkinAnalyzer.load(settings)
    behaviour = evaluate_analyzer(analyzer, swept, capture, progress=progress)
    manifest = analyzer.heads.manifest.extra
    shipped = manifest.get("behaviour")
    reference = None
    if shipped is not None:
        reference = {
            "sweep": manifest.get("data", {}).get("test_photos"),
            "capture": _capture_stems(shipped),
            "figures": figures(shipped),
        }
    return {
        "heads_version": analyzer.heads.version,
        "photos": {
            "group": group,
            "capture_group": capture_group or group,
            "sweep": [p.name for p in swept],
            "capture": [p.name for p in capture],
        },
        **judge(figures(behaviour)),
        "reference": reference,
        "behaviour": behaviour,
    }


def _group_photos(group: str) -> list[Path]:
    """The group's shipped photos; an unknown or empty group is the caller's mistake."""
    photos = shipped_photos(group)
    if not photos:
        raise InvalidInput(
            f"No photo in data/faces/SOURCES.yaml has the use {group!r}.",
            message_zh=f"data/faces/SOURCES.yaml 中没有用途为 {group!r} 的照片。",
        )
    return photos


def _capture_stems(behaviour: dict[str, Any]) -> list[str]:
    """The photos (file stems) a capture check saw, in order, from its ``stem:change`` keys."""
    return list(dict.fromkeys(key.split(":", 1)[0] for key in behaviour["invariance"]["detail"]))
