"""Train, evaluate and export the skin heads (one LightGBM regressor per concern → ONNX)."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import onnx
from numpy.typing import NDArray
from onnxmltools import convert_lightgbm
from onnxmltools.convert.common.data_types import FloatTensorType

from data.photos import shipped_photos
from data.vocabulary import CONCERNS
from models.analyzer import HEADS_DIR, SkinAnalyzer
from models.heads import HEAD_INPUT, MANIFEST, SkinHeads, write_manifest
from models.measurement import FaceMeasurer
from models.region_stats import FEATURE_NAMES
from skinlab.errors import InvalidInput
from skinlab.settings import Settings
from training.config import SkinTrainConfig
from training.drift_skin import REFERENCE_SAMPLES, skin_reference, training_specs
from training.model_card import write_skin_model_card
from training.onnx_parity import double_precision_regressor, float32_splits, parity, require_parity
from training.skin_dataset import SampleSpec, SkinTable, build_table, random_spec
from training.skin_eval import evaluate_analyzer
from training.skin_metrics import evaluate_faces, face_level
from training.skin_real import RealRows, measure_graded_photos

log = logging.getLogger(__name__)


def fit_heads(
    table: SkinTable, config: SkinTrainConfig, real: RealRows | None = None
) -> dict[str, lgb.LGBMRegressor]:
    """One LightGBM regressor per concern on the synthetic rows (and graded real rows).

    Real rows count ``config.real_weight`` times a synthetic row; a real row without a grade
    for a concern is left out of that concern's head.
    """
    heads: dict[str, lgb.LGBMRegressor] = {}
    for index, concern in enumerate(CONCERNS):
        features, labels = table.features, table.labels[:, index]
        weights = np.ones(labels.shape[0], dtype=np.float32)
        if real is not None and real.features.shape[0]:
            graded = ~np.isnan(real.labels[:, index])
            features = np.concatenate([features, real.features[graded]])
            labels = np.concatenate([labels, real.labels[graded, index]])
            extra = np.full(int(graded.sum()), config.real_weight, dtype=np.float32)
            weights = np.concatenate([weights, extra])
        model = lgb.LGBMRegressor(
            **config.lightgbm.model_dump(),
            random_state=config.seed,
            n_jobs=config.workers,
            verbose=-1,
        )
        model.fit(features, labels, sample_weight=weights)
        # float32 thresholds and leaf values, so the ONNX export adds up the same numbers
        heads[concern] = float32_splits(model, leaves=True)
    return heads


def predict_heads(
    heads: dict[str, lgb.LGBMRegressor], features: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Region predictions of the in-memory models, shape (n_rows, n_concerns), clipped 0-100."""
    columns = [np.asarray(heads[c].predict(features), dtype=np.float32) for c in CONCERNS]
    return np.clip(np.stack(columns, axis=1), 0.0, 100.0)


def head_to_onnx(model: lgb.LGBMRegressor) -> onnx.ModelProto:
    """One head as ONNX: ``features`` float32 ``(n, n_features)`` in, the score out, its tree
    ensemble run in double (:func:`training.onnx_parity.double_precision_regressor`)."""
    graph = convert_lightgbm(
        model.booster_,
        initial_types=[(HEAD_INPUT, FloatTensorType([None, len(FEATURE_NAMES)]))],
        zipmap=False,
    )
    return double_precision_regressor(graph)


def export_heads(
    heads: dict[str, lgb.LGBMRegressor],
    directory: Path,
    manifest: dict[str, Any],
    check: NDArray[np.float32],
) -> dict[str, Any]:
    """Write ``<concern>.onnx`` and ``manifest.json``; check them against the LightGBM heads.

    Returns
    -------
    dict
        :func:`training.onnx_parity.parity` of the exported heads (as serving loads them) vs
        the LightGBM heads on the ``check`` rows; ``worst_output`` names the concern.

    Raises
    ------
    OnnxParityFailed
        If a score differs by more than ``1e-5`` on any row.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for concern, model in heads.items():
        (directory / f"{concern}.onnx").write_bytes(head_to_onnx(model).SerializeToString())
    write_manifest(directory, manifest)
    exported = SkinHeads(directory).predict(check)
    # LightGBM's double scores, not predict_heads' float32 ones: the export's own rounding counts
    original = np.stack([heads[c].predict(check) for c in CONCERNS], axis=1)
    report = parity(np.clip(original, 0.0, 100.0), np.stack([exported[c] for c in CONCERNS], 1))
    report["worst_output"] = CONCERNS[report["worst_output"]]
    concern = report["worst_output"]
    return require_parity(report, f"the skin head {concern}", f"皮肤评分头 {concern} ")


def _specs(config: SkinTrainConfig, n: int, offset: int) -> list[SampleSpec]:
    return [
        random_spec(
            config.seed + offset + i,
            active=config.active_probability,
            augment=config.augment_probability,
        )
        for i in range(n)
    ]


def train_skin_heads(
    settings: Settings,
    *,
    config: Path | None = None,
    output_dir: Path | None = None,
    real_photos: Path | None = None,
    grades_csv: Path | None = None,
    track: bool = True,
    evaluate: bool = True,
) -> dict[str, Any]:
    """Train the heads on synthetic conditions, evaluate on held-out faces, export to ONNX.

    Parameters
    ----------
    settings : Settings
        Where the face models are (``models_dir``) and the MLflow store.
    config : Path, optional
        YAML training config; the shipped ``training/configs/skin.yaml`` by default.
    output_dir : Path, optional
        Folder for the exported heads; ``models_dir/skin_heads`` by default.
    real_photos, grades_csv : Path, optional
        A folder of real photos and the CSV of expert grades for them (``data.grades``);
        their rows are added to the synthetic ones.
    track : bool
        Log the run to MLflow.
    evaluate : bool
        Run the behavioural evaluation (``training.skin_eval``) and write the model card.

    Returns
    -------
    dict
        The manifest written next to the heads (version, data, metrics).
    """
    cfg = SkinTrainConfig.load(config)
    started = time.perf_counter()
    # Real data is checked first, so a bad grades file fails before minutes of rendering.
    real = None
    if (real_photos is None) != (grades_csv is None):
        raise InvalidInput("Give both --real-photos and --grades, or neither.")
    if real_photos is not None and grades_csv is not None:
        real = measure_graded_photos(
            settings, FaceMeasurer(settings.models_dir), real_photos, grades_csv
        )
        if real.photos_used == 0:
            raise InvalidInput(
                f"None of the graded photos could be used ({len(real.errors)} rejected)",
                details={"rejected": [vars(e) for e in real.errors[:50]]},
            )
    train_photos, test_photos = shipped_photos(cfg.train_photos), shipped_photos(cfg.test_photos)
    train = build_table(
        settings.models_dir,
        train_photos,
        _specs(cfg, cfg.train_samples, 0),
        workers=cfg.workers,
        desc="train samples",
    )
    test = build_table(
        settings.models_dir,
        test_photos,
        _specs(cfg, cfg.test_samples, 10_000_000),
        workers=cfg.workers,
        desc="test samples",
    )
    heads = fit_heads(train, cfg, real)
    predictions = predict_heads(heads, test.features)
    metrics = evaluate_faces(test, predictions)
    version = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    manifest: dict[str, Any] = {
        "version": version,
        "feature_names": list(FEATURE_NAMES),
        "concerns": list(CONCERNS),
        "trained_on": (
            "synthetic conditions painted onto real photos (data/synth.py); no real labels"
        ),
        "config": cfg.model_dump(),
        "data": {
            "train_photos": [p.name for p in train_photos],
            "test_photos": [p.name for p in test_photos],
            "train_rows": int(train.features.shape[0]),
            "test_rows": int(test.features.shape[0]),
            "train_dropped_samples": train.dropped,
            "test_dropped_samples": test.dropped,
            "real_photos_used": real.photos_used if real else 0,
            "real_rows_rejected": [vars(e) for e in real.errors] if real else [],
        },
        "metrics": metrics,
    }
    target = output_dir or settings.models_dir / HEADS_DIR
    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(scratch) / HEADS_DIR
        check = export_heads(heads, staged, manifest, test.features[:2000])
        manifest["onnx_parity"] = check
        manifest["onnx_parity_max_abs"] = check["max_abs_diff"]
        write_manifest(staged, manifest)
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(staged, target)
    manifest["train_seconds"] = round(time.perf_counter() - started, 1)
    if evaluate:
        analyzer = SkinAnalyzer(settings.models_dir, settings, heads_dir=target)
        behaviour = evaluate_analyzer(analyzer, test_photos, shipped_photos("invariance"))
        manifest["behaviour"] = behaviour
        write_manifest(target, manifest)
        write_skin_model_card(target, manifest, behaviour)
    # The training data's summary for drift reports (training.drift_skin): a fixed prefix of the
    # training samples, scored by the exported heads.
    n_reference = min(REFERENCE_SAMPLES, cfg.train_samples)
    skin_reference(
        SkinAnalyzer(settings.models_dir, settings, heads_dir=target),
        train_photos,
        training_specs(cfg, n_reference),
        source=f"first {n_reference} synthetic training samples, scored by heads {version}",
    ).save(target)
    if track:
        from training.skin_plots import HeldOutFaces
        from training.skin_tracking import log_skin_run

        faces = HeldOutFaces(*face_level(test, predictions))
        importance = {
            c: h.booster_.feature_importance(importance_type="gain") for c, h in heads.items()
        }
        manifest["mlflow_run_id"] = log_skin_run(
            settings, manifest, target, faces, importance, test.features
        )
    return manifest


def ensure_default_models(settings: Settings) -> None:
    """Use the shipped models; train the skin heads only when they are missing."""
    face_models = ("face_detector.onnx", "face_landmarks.onnx")
    missing = [name for name in face_models if not (settings.models_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Face models {missing} are missing from {settings.models_dir}; they ship with the "
            "repository (see models/conversion/convert_mediapipe.py to rebuild them)."
        )
    if (settings.models_dir / HEADS_DIR / MANIFEST).is_file():
        log.info("skin heads present in %s", settings.models_dir / HEADS_DIR)
        return
    log.info("skin heads missing: training them now (a few minutes)")
    train_skin_heads(settings)
