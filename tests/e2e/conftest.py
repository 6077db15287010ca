"""A real skinlab server (uvicorn, in a thread) and Debian's Chromium driven by Playwright.

The server uses a fake analyzer, so no model is loaded and any photo with some light in it is a
"face"; an all-black photo has none (NO_FACE), as with the shared fake in ``tests/conftest.py``.
Everything else is real: the database, migrations, store keys, the solver and the page.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from ba_support import BaServer, PaintedFaceAnalyzer

from serving.analyzer_state import AnalyzerLoader, load_skin_analyzer
from serving.app import create_app
from skinlab.api_keys import create_api_key
from skinlab.db import make_engine, make_sessionmaker, upgrade_database
from skinlab.settings import Settings
from skinlab.store_keys import add_store_key

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = (
    "The browser tests need Debian's Chromium at /usr/bin/chromium. Install it with\n"
    "    apt-get update && apt-get install -y chromium fonts-wqy-microhei\n"
    "(`make test` does this when it is missing)."
)
PROJECT_ROOT = Path(__file__).resolve().parents[2]
STORE_ID = "sh-jingan-01"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serve(
    folder: Path, loader: AnalyzerLoader, analyzer: PaintedFaceAnalyzer | None = None
) -> Iterator[BaServer]:
    """skinlab on 127.0.0.1 and a free port, with a fresh database and one store key."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, environment="test", data_dir=folder, log_json=False, log_level="WARNING"
    )
    upgrade_database(settings)
    engine = make_engine(settings.database_url)
    with make_sessionmaker(engine)() as session:
        key = add_store_key(session, STORE_ID)
        api_key = create_api_key(session, "admin", label="e2e checks").key
        session.commit()
    engine.dispose()
    app = create_app(settings, analyzer_loader=loader)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the skinlab server did not start within 20 s")
        time.sleep(0.05)
    assert app.state.analyzer_state.wait(timeout=60), "the analyzer did not load"
    assert app.state.analyzer_state.status == "ready"
    try:
        yield BaServer(f"http://127.0.0.1:{port}", STORE_ID, key, settings, analyzer, api_key)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def ba_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaServer]:
    """The page with a fake analyzer (no model; an all-black photo has no face)."""
    analyzer = PaintedFaceAnalyzer()
    with _serve(tmp_path_factory.mktemp("ba") / "var", lambda _s: analyzer, analyzer) as server:
        yield server


@pytest.fixture(scope="session")
def real_ba_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BaServer]:
    """The page with the shipped skin model, as `skinlab serve` runs it."""
    with _serve(tmp_path_factory.mktemp("ba-real") / "var", load_skin_analyzer) as server:
        yield server


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """``var/screenshots/<UTC time>/``, printed so a person can look at every step."""
    folder = PROJECT_ROOT / "var" / "screenshots" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nBA page screenshots: {folder}")
    return folder


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium from Debian (no browser download), with a fake camera."""
    if not CHROMIUM.exists():
        pytest.fail(INSTALL_HINT, pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    # Generous: make test runs these beside CPU-heavy model tests, and diagnosing an
    # infeasible formula alone takes ~3 s on a quiet machine.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
        )
        yield chromium
        chromium.close()
