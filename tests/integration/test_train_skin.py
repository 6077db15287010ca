"""``skinlab train skin`` end to end on a tiny config: synthetic + real graded photos, ONNX
export with parity, a model card, and one MLflow run in a temporary store, read back (model
with signature and input example, every plot)."""

from __future__ import annotations

import shutil
from pathlib import Path

import mlflow
import numpy as np
import pytest
import yaml
from run_contents import check_run_contents

from data.photos import FACES_DIR, load_rgb
from data.vocabulary import CONCERNS
from models.analyzer import SkinAnalyzer
from models.heads import SkinHeads
from models.measurement import FaceMeasurer
from models.region_stats import FEATURE_NAMES
from skinlab.errors import InvalidInput
from skinlab.settings import SHIPPED_MODELS_DIR, Settings
from training.skin import train_skin_heads
from training.skin_plots import SKIN_PLOTS
from training.skin_real import measure_graded_photos


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    models = tmp_path / "models"
    models.mkdir()
    for name in ("face_detector.onnx", "face_landmarks.onnx"):
        shutil.copy(SHIPPED_MODELS_DIR / name, models / name)
    return Settings(
        _env_file=None, environment="test", data_dir=tmp_path / "var", models_dir=models
    )  # type: ignore[call-arg]


@pytest.fixture
def graded(tmp_path: Path) -> tuple[Path, Path]:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("0-f1-su-ph.jpg", "15-f13-anc-ph.jpg", "free-mountain-vector-01.jpg"):
        shutil.copy(FACES_DIR / name, photos / name)
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    grades = tmp_path / "grades.csv"
    grades.write_text(
        "file,redness,acne,spots\n"
        "0-f1-su-ph.jpg,40,10,\n"
        "15-f13-anc-ph.jpg,20,,35\n"
        "free-mountain-vector-01.jpg,10,10,10\n"
        "broken.jpg,5,5,5\n"
        "nowhere.jpg,5,5,5\n",
        encoding="utf-8",
    )
    return photos, grades


def _tiny_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(
        yaml.safe_dump(
            {"train_samples": 24, "test_samples": 8, "workers": 1, "lightgbm": {"n_estimators": 20}}
        ),
        encoding="utf-8",
    )
    return path


def test_graded_photos_keep_good_rows_and_report_bad_ones(
    settings: Settings, graded: tuple[Path, Path]
) -> None:
    photos, grades = graded
    rows = measure_graded_photos(settings, FaceMeasurer(settings.models_dir), photos, grades)
    assert rows.photos_used == 2
    reasons = {error.file: error.reason for error in rows.errors}
    assert reasons["nowhere.jpg"] == "file not found"
    assert reasons["broken.jpg"].startswith("INVALID_IMAGE")
    assert "NO_FACE" in reasons["free-mountain-vector-01.jpg"]
    redness = rows.labels[:, CONCERNS.index("redness")]
    assert set(np.unique(redness[~np.isnan(redness)])) == {20.0, 40.0}
    assert np.isnan(rows.labels[:, CONCERNS.index("texture")]).all()


# log_model imports mlflow.pyfunc, whose chat-agent loader warns (in colour, hence .*) about
# its own type hints on import
@pytest.mark.filterwarnings("ignore:.*Any type hint is inferred:UserWarning")
def test_training_exports_onnx_logs_mlflow_and_serves(
    settings: Settings, graded: tuple[Path, Path], tmp_path: Path
) -> None:
    photos, grades = graded
    manifest = train_skin_heads(
        settings,
        config=_tiny_config(tmp_path),
        real_photos=photos,
        grades_csv=grades,
        evaluate=False,
    )
    heads_dir = settings.models_dir / "skin_heads"
    assert SkinHeads(heads_dir).version == manifest["version"]
    assert manifest["data"]["real_photos_used"] == 2
    assert len(manifest["data"]["real_rows_rejected"]) == 3
    assert manifest["onnx_parity_max_abs"] <= 1e-5 and manifest["onnx_parity"]["ok"]
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    runs = mlflow.search_runs(experiment_names=["skin-heads"], output_format="list")
    assert len(runs) == 1
    assert runs[0].data.tags["trained_on"].startswith("synthetic")
    assert runs[0].data.metrics["onnx_parity_max_abs"] <= 1e-5
    run_id = runs[0].info.run_id
    _, example = check_run_contents(run_id, SKIN_PLOTS, tmp_path / "read-back")
    assert np.asarray(example).shape == (5, len(FEATURE_NAMES))
    combined = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    rows = np.asarray(example, dtype=np.float32)
    served = SkinHeads(heads_dir).predict(rows)
    np.testing.assert_allclose(
        np.asarray(combined.predict(rows)["scores"]),
        np.stack([served[c] for c in CONCERNS], axis=1),
        rtol=0,
        atol=1e-5,
    )
    result = SkinAnalyzer.load(settings).analyze(load_rgb(FACES_DIR / "0-f15-hao-ph.jpg"))
    assert set(result.scores) == set(CONCERNS)


def test_real_photos_without_grades_are_refused(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        train_skin_heads(settings, config=_tiny_config(tmp_path), real_photos=tmp_path, track=False)
