"""Factories shared by all test suites: settings in a temporary folder, fake analyses, photos.

They are fixtures that return builders, so each test states only what it cares about.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _postgres import fresh_database, postgres_server
from fastapi.testclient import TestClient
from numpy.typing import NDArray
from PIL import Image

from models.results import (
    CONCERNS,
    REGIONS,
    ConcernScore,
    FaceBox,
    QualityReport,
    SkinAnalysis,
    SkinTone,
    SkinType,
)
from serving.analyzer_state import AnalyzerLoader
from serving.app import create_app
from skinlab.api_keys import create_api_key
from skinlab.errors import quality_error
from skinlab.settings import Settings, get_settings

# The fake analyzer finds no face in an all-black photo (the marker for a quality failure).
NO_FACE_COLOR = (0, 0, 0)


def build_analysis(level: float = 30.0, *, overlays: bool = False) -> SkinAnalysis:
    """A valid ``SkinAnalysis`` whose every concern scores ``level``."""
    level = round(min(max(level, 0.0), 100.0), 1)
    return SkinAnalysis(
        scores={
            c: ConcernScore(score=level, regions=dict.fromkeys(REGIONS, level)) for c in CONCERNS
        },
        tone=SkinTone(
            ita_deg=41.0, category="light", fitzpatrick_estimate="II", lab=(68.0, 9.0, 16.0)
        ),
        skin_type=SkinType(
            type="normal", sensitive=False, t_zone_oiliness=30.0, u_zone_oiliness=20.0
        ),
        quality=QualityReport(ok=True),
        face=FaceBox(x=10, y=10, width=60, height=70, detection_score=0.98),
        model_version="fake-1",
        timing_ms={"total": 1.0},
        overlays={"redness": base64.b64encode(b"png").decode()} if overlays else None,
    )


class FakeAnalyzer:
    """Scores every concern at the photo's mean brightness (0-100); black photos have no face."""

    model_version = "fake-1"

    def __init__(self) -> None:
        self.calls = 0

    def analyze(self, rgb: NDArray[np.uint8], *, overlays: bool = False) -> SkinAnalysis:
        self.calls += 1
        if not rgb.any():
            raise quality_error("NO_FACE")
        return build_analysis(float(rgb.mean()) / 255 * 100, overlays=overlays)

    def versions(self) -> dict[str, str]:
        return {"skin_model": self.model_version, "face_detector": "0123abcd"}


@pytest.fixture
def test_database_url() -> Iterator[str | None]:
    """A fresh PostgreSQL database for this test when a test server is set, else None (SQLite)."""
    server = postgres_server()
    if server is None:
        yield None
        return
    with fresh_database(server) as url:
        yield url


@pytest.fixture
def settings_factory(tmp_path: Path, test_database_url: str | None) -> Callable[..., Settings]:
    """Build ``Settings`` rooted in a temporary data folder; keyword arguments override.

    Every ``Settings`` of one test share its database, as they share its SQLite file.
    """

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"environment": "test", "data_dir": tmp_path / "var"}
        if test_database_url is not None:
            values["database_url"] = test_database_url
        return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]

    return make


@pytest.fixture
def fake_analyzer() -> FakeAnalyzer:
    return FakeAnalyzer()


@pytest.fixture
def analysis_factory() -> Callable[..., SkinAnalysis]:
    return build_analysis


@pytest.fixture
def png_factory() -> Callable[..., bytes]:
    """Encode a plain-colour PNG; ``png_factory((0, 0, 0))`` is the no-face marker."""

    def make(
        color: tuple[int, int, int] = (200, 150, 120), size: tuple[int, int] = (96, 96)
    ) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGB", size, color).save(buffer, format="PNG")
        return buffer.getvalue()

    return make


KeyFactory = Callable[..., str]


def _create_key(
    client: TestClient, role: str = "admin", *, store_id: str | None = None, label: str = ""
) -> str:
    """A new API key in ``client``'s database (the app must have started and migrated)."""
    factory = client.app.state.sessionmaker  # type: ignore[attr-defined]
    with factory() as session:
        issued = create_api_key(session, role, store_id=store_id, label=label)
        session.commit()
    return issued.key


@pytest.fixture
def key_factory() -> KeyFactory:
    """``key_factory(client, role, store_id=...)``: a new API key valid on ``client``'s app."""
    return _create_key


@pytest.fixture
def api(
    settings_factory: Callable[..., Settings], fake_analyzer: FakeAnalyzer
) -> Iterator[Callable[..., TestClient]]:
    """Build and start API clients; ``loader=`` replaces the fake, other keywords are settings.

    Each client sends an API key of ``role`` (default ``admin``; ``store`` keys need
    ``store_id``); ``role=None`` sends none. With the default loader the call returns once the
    fake analyzer is ready.
    """
    with ExitStack() as stack:

        def make(
            *,
            loader: AnalyzerLoader | None = None,
            raise_server_exceptions: bool = True,
            role: str | None = "admin",
            store_id: str | None = None,
            **settings_overrides: Any,
        ) -> TestClient:
            app = create_app(
                settings_factory(**settings_overrides),
                analyzer_loader=loader or (lambda _settings: fake_analyzer),
            )
            client = stack.enter_context(
                TestClient(app, raise_server_exceptions=raise_server_exceptions)
            )
            if role is not None:
                key = _create_key(client, role, store_id=store_id, label="tests")
                client.headers["Authorization"] = f"Bearer {key}"
            if loader is None:
                assert app.state.analyzer_state.wait(timeout=5)
            return client

        yield make


@pytest.fixture
def client(api: Callable[..., TestClient]) -> TestClient:
    """A started client with default test settings and the fake analyzer."""
    return api()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the command's settings at a temporary data folder; returns that folder."""
    data_dir = tmp_path / "var"
    monkeypatch.setenv("SKINLAB_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SKINLAB_AUTO_MIGRATE", "true")
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()
