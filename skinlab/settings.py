"""One settings object for the whole service, read from ``SKINLAB_*`` environment variables."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODELS_DIR = PROJECT_ROOT / "models" / "artifacts"
# Public on purpose: phone-derived user ids made outside production are not protected.
DEVELOPMENT_PHONE_ID_SECRET = "skinlab-development-only-phone-id-secret"
# Public too: photos kept in development are sealed, but not secret (sha256 of a fixed text).
DEVELOPMENT_PHOTO_KEY = "8FE0M9p8dQquMXjGqa9SuCjf6i95gTiKNDvUP/4NIwQ="


class Settings(BaseSettings):
    """Service configuration; every field can be set as ``SKINLAB_<NAME>``."""

    # Errors never echo their input: it holds the secrets (photo keys, session secret).
    model_config = SettingsConfigDict(
        env_prefix="SKINLAB_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

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
    # Which trained models serving answers with: ``files`` loads models_dir (as shipped, or as
    # trained in place) once at start-up; ``registry`` serves each model type's MLflow
    # ``champion`` (models_dir while a type has none) and swaps in a newly promoted or rolled
    # back champion without a restart: checked every model_poll_seconds (0: only on
    # ``POST /admin/models/reload``). See serving/model_watch.py.
    model_source: Literal["files", "registry"] = "files"
    model_poll_seconds: float = Field(default=30.0, ge=0)

    # Personal data (PIPL): a raw photo is kept only when this is on and the person also
    # consents to keeping it (consent_keep_photo), sealed with photo_key (AES-256-GCM, see
    # skinlab/photo_crypto.py): 32 random bytes in base64, required outside development when
    # keeping is on (development uses a fixed, public key). photo_old_keys only open photos
    # sealed before a rotation (`skinlab photos rotate-key` re-seals them).
    store_raw_images: bool = False
    photo_key: SecretStr | None = None
    photo_old_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    # The consent text version recorded with each consent when the request names none.
    consent_text_version: str = Field(default="2026-11", min_length=1, max_length=32)
    # Retention (skinlab/retention.py), in days: analyses are kept without limit when unset,
    # kept photos 30 days (0: none is kept at all). The server purges every
    # retention_purge_hours (0: only `skinlab retention purge` does).
    retention_analyses_days: int | None = Field(default=None, ge=0)
    retention_raw_photos_days: int = Field(default=30, ge=0)
    retention_purge_hours: float = Field(default=24.0, ge=0)
    # Where the audit chain's head is anchored outside the database (`skinlab audit anchor`,
    # and the server every audit_anchor_hours); none when unset.
    audit_anchor_file: Path | None = None
    audit_anchor_hours: float = Field(default=1.0, ge=0)

    # Run ``alembic upgrade head`` when the API starts (``skinlab serve`` does it once instead).
    auto_migrate: bool = True

    # Upload limits.
    max_upload_bytes: int = 12 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    min_image_side: int = 64

    # Quality gate thresholds (see models/quality.py for what each measures).
    min_face_width_px: int = 120
    min_face_fraction: float = 0.08
    # Calibrated on the shipped frontal photos (tests/unit/test_quality.py) with OpenCV's face
    # boxes and with our detector's: sharp photos and their mild variants measure 26-107,
    # Gaussian blur of sigma 3 px at a 512-px face or motion blur of 20 px 1-19 even after JPEG
    # q70, so 40 refused good photos.
    min_sharpness: float = 22.0
    # x0.25 exposure measures L* 11-17, x0.85 measures 42-59. 25 rather than 32 because the
    # darkest skin can measure near L* 30 in good light and must not be told its photo is dark.
    min_brightness_l: float = 25.0
    max_brightness_l: float = 88.0
    # Light skin clips its red channel first. x1.15 exposure of a face that was bright as shot
    # (single_face.jpg, 18% of skin clipped) clips 65% of its skin and still looks normal, so
    # 0.12 refused it; x1.45 is refused on every face (58-97% clipped or L* over 88).
    max_clipped_fraction: float = 0.75
    max_yaw_deg: float = 25.0
    max_pitch_deg: float = 25.0
    max_roll_deg: float = 20.0
    min_detection_score: float = 0.6

    # Formulation (formulations/): at most this many modules per formula, irritation budgets in
    # irritation points (sum over actives of irritation 0-5 x dose / top of use range), and the
    # retail price as a multiple of the materials cost (for price caps).
    catalog_dir: Path | None = None
    formulation_max_modules: int = Field(default=4, ge=1, le=8)
    irritation_budget: float = 6.0
    irritation_budget_sensitive: float = 3.0
    price_markup: float = Field(default=6.0, gt=0)
    solver_time_limit_s: float = Field(default=5.0, gt=0)
    candidates_per_benefit: int = Field(default=3, ge=1)
    # Bound the whole catalog's best formula on every request (one LP per base over every
    # allowed module): the formula's proven catalog_bound and catalog_gap.
    formulation_catalog_bound: bool = True

    # The BA page (serving/ba): signs its session cookie. Required in production; elsewhere a
    # random one per process when unset, so sign-ins end at restart and do not survive across
    # `skinlab serve --workers N` processes (set it to share them).
    session_secret: SecretStr | None = None
    # Keys the HMAC that turns a phone number into a user id (``ph:...``), so no phone is stored.
    # Separate from the session secret: rotating that must not orphan every customer found by
    # phone. Required in production; development and tests use a fixed, public value when unset.
    phone_id_secret: SecretStr | None = None

    # API keys (serving/auth.py): requests per key, as the `limits` library writes them
    # ("120/minute", "10/second;1000/hour"); empty turns rate limiting off. Counters live in
    # process memory unless a storage URL (e.g. redis://host:6379) shares them across workers.
    rate_limit: str = "120/minute"
    rate_limit_storage_url: str = "memory://"
    # Largest body of any request but a photo upload (those get max_request_bytes).
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Browser origins allowed to call the API from their pages, comma-separated; none by default.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Monthly-card ranking (POST /rank, user profiles): event tables as `skinlab ingest` or
    # `skinlab simulate` write them (default: data_dir/events). Users an EBA touched within the
    # cool-down are never listed. The board scores the moment after the last event unless
    # rank_as_of fixes one.
    events_dir: Path | None = None
    rank_cooldown_days: int = Field(default=14, ge=0, le=365)
    rank_as_of: datetime | None = None

    log_level: str = "INFO"
    log_json: bool = True
    # GET /metrics needs a data scientist's or admin's key unless this is on (for a scrape
    # network the reverse proxy does not expose).
    metrics_public: bool = False

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("photo_key", "audit_anchor_file", "retention_analyses_days", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("photo_old_keys", mode="before")
    @classmethod
    def _split_old_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from limits import parse_many

        if value.strip():
            parse_many(value)  # raises ValueError naming the bad part
        return value.strip()

    @model_validator(mode="after")
    def _fill_secrets(self) -> Settings:
        if self.environment == "production":
            missing = [
                f"SKINLAB_{name.upper()}"
                for name in ("session_secret", "phone_id_secret")
                if getattr(self, name) is None
            ]
            if missing:
                raise ValueError(f"{' and '.join(missing)} must be set in production")
        if self.session_secret is None:
            self.session_secret = SecretStr(secrets.token_urlsafe(32))
        if self.phone_id_secret is None:
            self.phone_id_secret = SecretStr(DEVELOPMENT_PHONE_ID_SECRET)
        return self

    @model_validator(mode="after")
    def _check_photo_keys(self) -> Settings:
        from skinlab.photo_crypto import parse_key

        if self.photo_key is None and self.environment == "development":
            self.photo_key = SecretStr(DEVELOPMENT_PHOTO_KEY)
        if self.photo_key is None and self.store_raw_images:
            raise ValueError(
                "SKINLAB_PHOTO_KEY must be set when SKINLAB_STORE_RAW_IMAGES=true (kept face "
                "photos are encrypted at rest): 32 random bytes in base64; "
                "保留原始照片（SKINLAB_STORE_RAW_IMAGES=true）时必须设置 SKINLAB_PHOTO_KEY"
                "（32 字节随机数的 base64），用于加密保存的面部照片"
            )
        for secret in [*([self.photo_key] if self.photo_key else []), *self.photo_old_keys]:
            parse_key(secret.get_secret_value())  # ValueError says how to make a good one
        return self

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

    @property
    def events_folder(self) -> Path:
        """Where the event tables for ranking live."""
        return self.events_dir or self.data_dir / "events"

    def ensure_dirs(self) -> None:
        """Create the data directory if the configured store lives in it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
