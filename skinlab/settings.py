"""One settings object for the whole service, read from ``SKINLAB_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODELS_DIR = PROJECT_ROOT / "models" / "artifacts"


class Settings(BaseSettings):
    """Service configuration; every field can be set as ``SKINLAB_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SKINLAB_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Field(
        default=PROJECT_ROOT / "var", description="Where SQLite, MLflow and caches live"
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; empty means SQLite in data_dir"
    )
    mlflow_tracking_uri: str = Field(
        default="", description="Empty means a SQLite store in data_dir"
    )
    models_dir: Path = Field(
        default=SHIPPED_MODELS_DIR, description="Folder holding the ONNX models"
    )

    # Personal data (PIPL): raw photos are not kept unless this is switched on.
    store_raw_images: bool = False

    # Run ``alembic upgrade head`` when the API starts (``skinlab serve`` does it once instead).
    auto_migrate: bool = True

    # Upload limits.
    max_upload_bytes: int = 12 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    min_image_side: int = 64

    # Quality gate thresholds (see models/quality.py for what each measures).
    min_face_width_px: int = 120
    min_face_fraction: float = 0.08
    min_sharpness: float = 40.0
    min_brightness_l: float = 32.0
    max_brightness_l: float = 88.0
    max_clipped_fraction: float = 0.12
    max_yaw_deg: float = 25.0
    max_pitch_deg: float = 25.0
    max_roll_deg: float = 20.0
    min_detection_score: float = 0.6

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _fill_derived_urls(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'skinlab.db'}"
        if not self.mlflow_tracking_uri:
            self.mlflow_tracking_uri = f"sqlite:///{self.data_dir / 'mlflow.db'}"
        return self

    @property
    def max_request_bytes(self) -> int:
        """Largest request body read: a base64 image at the upload limit plus form overhead."""
        return self.max_upload_bytes * 4 // 3 + 64 * 1024

    def ensure_dirs(self) -> None:
        """Create the data directory if the configured store lives in it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
