"""How much of a behaviour figure is the training seed: one data set, several LightGBM seeds.

The held-out behaviour figures (``training.skin_eval``) rest on two people and four invariance
photos, and LightGBM samples rows and columns at random. Retraining the shipped config with
another ``random_state`` on the very same rows moves a capture figure by several points and a
tone gap by tens of percent, which flips targets between met and not met. This study renders
and measures the training samples once, fits the heads with ``seeds`` consecutive seeds starting
at the config's, and runs the full behavioural evaluation on each, so a change to the skin test
can be judged against the spread it must beat rather than against one draw.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from data.photos import shipped_photos
from data.vocabulary import CONCERNS
from models.analyzer import SkinAnalyzer
from models.region_stats import FEATURE_NAMES
from skinlab.settings import Settings
from training.config import SkinTrainConfig
from training.drift_skin import training_specs
from training.skin import export_heads, fit_heads
from training.skin_dataset import build_table
from training.skin_eval import evaluate_analyzer
from training.skin_targets import TARGETS, figures, target_text, targets_met

log = logging.getLogger(__name__)


def summarise(runs: list[dict[str, dict[str, float]]]) -> dict[str, Any]:
    """Min, median and max of every figure over the runs, and the targets each run met.

    Parameters
    ----------
    runs : list of dict
        :func:`figures` of each seed's run, in seed order.
    """
    spread: dict[str, dict[str, dict[str, float]]] = {}
    for concern in CONCERNS:
        spread[concern] = {}
        for name in runs[0][concern]:
            values = np.array([run[concern][name] for run in runs])
            spread[concern][name] = {
                "min": round(float(values.min()), 3),
                "median": round(float(np.median(values)), 3),
                "max": round(float(values.max()), 3),
            }
    met = [targets_met(run) for run in runs]
    return {
        "targets": {name: target_text(name) for name in TARGETS},
        "targets_total": len(CONCERNS) * len(TARGETS),
        "targets_met_per_seed": met,
        "spread": spread,
    }


def seed_spread(
    settings: Settings,
    *,
    seeds: int,
    config: Path | None = None,
    test_photos: list[Path] | None = None,
    invariance_photos: list[Path] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train the heads with ``seeds`` seeds on one training table and evaluate each.

    Parameters
    ----------
    settings : Settings
        Where the face models are; nothing in ``models_dir`` is replaced.
    seeds : int
        Number of seeds: the config's seed, then the next ``seeds - 1`` integers.
    config : Path, optional
        Training YAML (the shipped one by default).
    test_photos, invariance_photos : list of Path, optional
        Held-out faces for the sweep and photos for the capture check; the config's
        ``test_photos`` group and the ``invariance`` group by default.
    progress : callable, optional
        Called with a line of text after each step.

    Returns
    -------
    dict
        ``seeds`` (the seeds used), ``runs`` (the figures of each), and :func:`summarise`.
    """
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    say = progress or log.info
    cfg = SkinTrainConfig.load(config)
    held_out = test_photos if test_photos is not None else shipped_photos(cfg.test_photos)
    capture = invariance_photos if invariance_photos is not None else shipped_photos("invariance")
    train = build_table(
        settings.models_dir,
        shipped_photos(cfg.train_photos),
        training_specs(cfg, cfg.train_samples),
        workers=cfg.workers,
        desc="train samples",
    )
    used = [cfg.seed + k for k in range(seeds)]
    runs: list[dict[str, dict[str, float]]] = []
    for seed in used:
        heads = fit_heads(train, cfg.model_copy(update={"seed": seed}))
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            manifest = {
                "version": f"seed-{seed}",
                "feature_names": list(FEATURE_NAMES),
                "concerns": list(CONCERNS),
            }
            export_heads(heads, folder, manifest, train.features[:500])
            analyzer = SkinAnalyzer(settings.models_dir, settings, heads_dir=folder)
            runs.append(figures(evaluate_analyzer(analyzer, held_out, capture)))
        say(f"seed {seed}: {targets_met(runs[-1])} targets met")
    return {"seeds": used, "runs": runs, **summarise(runs)}
