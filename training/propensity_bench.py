"""``skinlab bench rank``: the propensity pipeline's cost next to LightGBM's own, in one run.

Steps, each timed in the same process on the same data:

1. simulate the brand into Parquet in a child process (not part of the pipeline: it stands for
   the brand's export), then load it as the pipeline would;
2. the pipeline: training snapshots (features and labels), the fit (LightGBM, calibrator and the
   RFM and logistic baselines), the held-out evaluation, the ONNX export, then the scoring board
   (features as of the end of the data, ONNX probabilities, value scores and segments);
3. the bare references: ``LGBMClassifier.fit`` with the same parameters on the same rows the
   pipeline fitted, and ``predict_proba`` on the scoring matrix, next to onnxruntime on that
   matrix.

Peak memory is the process's peak resident set (``ru_maxrss``), data included.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from training.propensity_config import PropensityConfig

PIPELINE_TARGET = 3.0
ONNX_TARGET = 1.5
MEMORY_TARGET_GB = 6.0


def _peak_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2)


def _simulate(users: int, seed: int, out: str) -> None:
    from data.simulation_config import SimulationConfig
    from data.simulator import write_simulation

    write_simulation(SimulationConfig.load(seed=seed), users, Path(out), workers=2)


class _Clock:
    """Times each step and records the process's peak memory once it is done."""

    def __init__(self, report: Callable[[str], None]) -> None:
        self.seconds: dict[str, float] = {}
        self.peak_gb_after: dict[str, float] = {}
        self._report = report

    def time(self, name: str, step: Callable[[], Any]) -> Any:
        self._report(name)
        started = time.perf_counter()
        result = step()
        self.seconds[name] = round(time.perf_counter() - started, 3)
        self.peak_gb_after[name] = _peak_gb()
        return result


def bench_rank(
    users: int,
    *,
    events: Path | None = None,
    n_jobs: int = 2,
    config: PropensityConfig | None = None,
    progress: Callable[[str], None] = lambda _step: None,
) -> dict[str, Any]:
    """Run the pipeline and the bare LightGBM references once; times, ratios and peak memory.

    Parameters
    ----------
    users : int
        Users to simulate (ignored when ``events`` is given).
    events : Path, optional
        An existing events folder instead of a simulation.
    n_jobs : int
        Threads for LightGBM (pipeline and bare alike) and onnxruntime.
    """
    from models.propensity_scorer import PropensityScorer
    from models.ranking import build_board
    from training.propensity import train_and_evaluate
    from training.propensity_data import card_snapshots, stack
    from training.propensity_export import check_parity, to_onnx, write_artifacts
    from training.propensity_pipeline import load_events

    config = config or PropensityConfig.load()
    clock = _Clock(progress)
    with tempfile.TemporaryDirectory(prefix="skinlab-bench-rank-") as scratch:
        simulated = events is None
        if events is None:
            events = Path(scratch) / "events"
            child = multiprocessing.get_context("spawn").Process(
                target=_simulate, args=(users, config.seed, str(events))
            )

            def simulate() -> None:
                child.start()
                child.join()

            clock.time("simulate", simulate)
            if child.exitcode != 0:
                raise RuntimeError(f"the simulation failed with exit code {child.exitcode}")
        tables = clock.time("load_events", lambda: load_events(events))
        moments = [datetime.combine(d, datetime.min.time()) for d in config.train_as_of]
        test_moment = datetime.combine(config.test_as_of, datetime.min.time())
        *snapshots, test = clock.time(
            "features",
            lambda: card_snapshots(tables, [*moments, test_moment], config.horizon_days, n_jobs),
        )
        train = stack(snapshots)
        del snapshots  # stacked: the per-date frames would double the training matrix
        run = clock.time(
            "fit_and_evaluate",
            lambda: train_and_evaluate(train, test, config, "card", n_jobs=n_jobs),
        )
        out = Path(scratch) / "model"

        def export() -> None:
            onnx_model = to_onnx(run.fitted)
            manifest = {
                "version": "bench",
                "task": "card",
                "trained_on": f"simulated:{users}" if simulated else str(events),
                "config": config.model_dump(mode="json"),
                "data": run.fitted.data,
                "metrics": run.metrics,
                "onnx_parity": check_parity(run.fitted, onnx_model, test.features),
                "seconds": {**run.seconds, "total": sum(run.seconds.values())},
            }
            write_artifacts(out, run.fitted, onnx_model, manifest)

        clock.time("export_onnx", export)
        scorer = PropensityScorer(out, threads=n_jobs)
        board = clock.time("score_board", lambda: build_board(tables, scorer))
        fit_rows = run.fitted.data["fit_rows"]
        from training.propensity import calibration_mask

        held = calibration_mask(train, config.calibration_fraction, config.seed)
        matrix = train.features.to_numpy(np.float32)[~held]
        labels = train.labels[~held]
        bare = lgb.LGBMClassifier(
            **config.lightgbm.model_dump(), random_state=config.seed, n_jobs=n_jobs, verbose=-1
        )
        clock.time("bare_lightgbm_fit", lambda: bare.fit(matrix, labels))
        scoring = scorer.matrix(board.features)
        clock.time("bare_lightgbm_predict", lambda: run.fitted.model.predict_proba(scoring))
        clock.time("onnx_predict", lambda: scorer.raw_probability(board.features))
    seconds = clock.seconds
    pipeline_steps = (
        "features",
        "fit_and_evaluate",
        "export_onnx",
        "score_board",
    )
    pipeline = round(sum(seconds[step] for step in pipeline_steps), 3)
    pipeline_ratio = pipeline / seconds["bare_lightgbm_fit"]
    onnx_ratio = seconds["onnx_predict"] / seconds["bare_lightgbm_predict"]
    peak = _peak_gb()
    return {
        "benchmark": "rank",
        "users": int(tables["users"].num_rows),
        "train_rows": len(train.labels),
        "fit_rows": int(fit_rows),
        "scored_users": len(board.frame),
        "features": len(run.fitted.feature_names),
        "n_jobs": n_jobs,
        "seconds": {**seconds, "pipeline": pipeline},
        "pipeline_steps": list(pipeline_steps),
        "ratios": {
            "pipeline_over_bare_fit": round(pipeline_ratio, 2),
            "onnx_over_lightgbm_predict": round(onnx_ratio, 2),
        },
        "peak_rss_gb": peak,
        "peak_rss_gb_after_step": clock.peak_gb_after,
        "targets": {
            "pipeline_over_bare_fit": {
                "max": PIPELINE_TARGET,
                "met": pipeline_ratio <= PIPELINE_TARGET,
            },
            "onnx_over_lightgbm_predict": {"max": ONNX_TARGET, "met": onnx_ratio <= ONNX_TARGET},
            "peak_rss_gb": {"max": MEMORY_TARGET_GB, "met": peak <= MEMORY_TARGET_GB},
        },
        "held_out_roc_auc": round(float(run.metrics["lightgbm"]["roc_auc"]), 4),
        "measured_on": date.today().isoformat(),
    }
