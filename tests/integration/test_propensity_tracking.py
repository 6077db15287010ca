"""One propensity run logged to a temporary MLflow store: params, metrics, plots and the model
with its signature and input example, read back from the store."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pytest
from run_contents import check_run_contents

from skinlab.settings import Settings
from training.propensity_config import PropensityConfig
from training.propensity_pipeline import run_training
from training.propensity_plots import PROPENSITY_PLOTS
from training.propensity_tracking import PROPENSITY_EXPERIMENT, log_propensity_run


# log_model imports mlflow.pyfunc, whose chat-agent loader warns (in colour, hence .*) about
# its own type hints on import
@pytest.mark.filterwarnings("ignore:.*Any type hint is inferred:UserWarning")
def test_a_run_is_logged_with_metrics_plots_and_a_loadable_onnx_model(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, environment="test", data_dir=tmp_path / "var")  # type: ignore[call-arg]
    config = PropensityConfig.load(simulated_users=4000)
    config = PropensityConfig.model_validate(
        {**config.model_dump(), "lightgbm": {**config.lightgbm.model_dump(), "n_estimators": 40}}
    )
    out = tmp_path / "model"
    result = run_training(config, out)
    run_id = log_propensity_run(settings, result, out)
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    run = mlflow.get_run(run_id)
    assert mlflow.get_experiment(run.info.experiment_id).name == PROPENSITY_EXPERIMENT
    metrics = run.data.metrics
    ours = result.manifest["metrics"]
    assert metrics["lightgbm.roc_auc"] == pytest.approx(ours["lightgbm"]["roc_auc"])
    assert metrics["rfm.roc_auc"] == pytest.approx(ours["rfm"]["roc_auc"])
    assert "logistic_rfm.ece" in metrics and "targets.lift_top10" in metrics
    assert run.data.params["config.horizon_days"] == "90"
    assert run.data.tags["trained_on"].startswith("simulated")
    assert metrics["onnx_parity_max_abs"] <= 1e-5
    assert metrics["onnx_parity_max_abs_calibrated"] <= 1e-5
    model_meta, example = check_run_contents(run_id, PROPENSITY_PLOTS, tmp_path / "read-back")
    n_features = len(result.run.fitted.feature_names)
    assert model_meta.signature.inputs.to_dict()[0]["tensor-spec"]["shape"] == (-1, n_features)
    assert np.asarray(example).shape == (5, n_features)
    model = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    features = result.run.test.features.iloc[:20].to_numpy(np.float32)
    served = np.asarray(model.predict(features)["probabilities"])[:, 1]
    np.testing.assert_allclose(
        served, result.run.fitted.raw_probability(result.run.test.features.iloc[:20]), atol=0.05
    )
