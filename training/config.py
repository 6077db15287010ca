"""Typed, frozen training configurations loaded from YAML files under version control."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


class LightGBMParams(BaseModel):
    """Hyperparameters passed to ``lightgbm.LGBMRegressor``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_estimators: int = Field(400, ge=10)
    learning_rate: float = Field(0.05, gt=0, le=1)
    num_leaves: int = Field(31, ge=2)
    min_child_samples: int = Field(20, ge=1)
    subsample: float = Field(0.8, gt=0, le=1)
    subsample_freq: int = Field(1, ge=0)
    colsample_bytree: float = Field(0.8, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)


class SkinTrainConfig(BaseModel):
    """How the skin heads are trained; every random choice derives from ``seed``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    seed: int = 20261123
    train_samples: int = Field(2400, ge=16)
    test_samples: int = Field(480, ge=8)
    workers: int = Field(2, ge=1)
    train_photos: str = "synthetic-train"
    test_photos: str = "synthetic-test"
    active_probability: float = Field(0.5, gt=0, le=1)
    augment_probability: float = Field(0.6, ge=0, le=1)
    real_weight: float = Field(
        3.0, gt=0, description="Weight of a graded real row vs a synthetic one"
    )
    lightgbm: LightGBMParams = LightGBMParams()

    @classmethod
    def load(cls, path: Path | None = None) -> SkinTrainConfig:
        """Read a YAML config (the shipped ``configs/skin.yaml`` by default)."""
        raw: dict[str, Any] = yaml.safe_load((path or CONFIG_DIR / "skin.yaml").read_text("utf-8"))
        return cls.model_validate(raw)
