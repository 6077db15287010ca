"""The frozen propensity training config (``training/configs/propensity.yaml``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from training.config import CONFIG_DIR, LightGBMParams

DEFAULT_PROPENSITY_CONFIG = CONFIG_DIR / "propensity.yaml"


class PropensityConfig(BaseModel):
    """Snapshots, horizon, calibration and LightGBM parameters; ``seed`` fixes every draw."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    seed: int = 20261123
    simulated_users: int = Field(50_000, ge=500, le=10_000_000)
    train_as_of: tuple[date, ...] = Field(min_length=1)
    test_as_of: date
    horizon_days: int = Field(90, ge=1, le=730)
    calibration_fraction: float = Field(0.25, gt=0, lt=1)
    calibration: Literal["isotonic", "sigmoid"] = "sigmoid"
    lightgbm: LightGBMParams = LightGBMParams()

    @model_validator(mode="after")
    def _held_out_later(self) -> PropensityConfig:
        last_label_day = max(self.train_as_of) + timedelta(days=self.horizon_days)
        if last_label_day > self.test_as_of:
            raise ValueError(
                f"training labels run to {last_label_day}, past test_as_of {self.test_as_of}: "
                "the held-out period would leak into training"
            )
        return self

    @property
    def train_moments(self) -> list[datetime]:
        return [datetime(d.year, d.month, d.day) for d in sorted(self.train_as_of)]

    @property
    def test_moment(self) -> datetime:
        d = self.test_as_of
        return datetime(d.year, d.month, d.day)

    @classmethod
    def load(cls, path: Path | None = None, **overrides: Any) -> PropensityConfig:
        """Read a YAML config (the shipped one by default); keyword arguments override fields."""
        raw: dict[str, Any] = yaml.safe_load((path or DEFAULT_PROPENSITY_CONFIG).read_text("utf-8"))
        return cls.model_validate({**raw, **overrides})
