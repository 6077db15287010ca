"""Registry fixtures shared by the model-registry and hot-reload tests, built once a session."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_runs import TINY_SKIN_SPEC

from skinlab.settings import Settings
from training._registry_frozen import FROZEN_DIR, propensity_set, skin_set
from training.propensity_config import PropensityConfig
from training.propensity_pipeline import run_training


@pytest.fixture(scope="session")
def degraded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Artifacts of a much worse propensity model: 10 trees on 1,500 simulated users."""
    config = PropensityConfig.load(simulated_users=1500)
    small_trees = {**config.lightgbm.model_dump(), "n_estimators": 10}
    config = PropensityConfig.model_validate({**config.model_dump(), "lightgbm": small_trees})
    out = tmp_path_factory.mktemp("degraded")
    run_training(config, out)
    return out


@pytest.fixture(scope="session")
def frozen_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The frozen propensity set, built once (a few seconds); copy it into a test's data dir."""
    data_dir = tmp_path_factory.mktemp("frozen") / "var"
    propensity_set(Settings(_env_file=None, environment="test", data_dir=data_dir))
    return data_dir / FROZEN_DIR


@pytest.fixture(scope="session")
def skin_frozen_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small frozen skin sweep (``TINY_SKIN_SPEC``), built once; copy it into a data dir."""
    data_dir = tmp_path_factory.mktemp("skin-frozen") / "var"
    skin_set(Settings(_env_file=None, environment="test", data_dir=data_dir), TINY_SKIN_SPEC)
    return data_dir / FROZEN_DIR
