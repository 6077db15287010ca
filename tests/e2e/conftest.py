"""A real skinlab server (uvicorn, in a thread) and Debian's Chromium driven by Playwright.

The server uses a fake analyzer, so no model is loaded and any photo with some light in it is a
"face"; an all-black photo has none (NO_FACE), as with the shared fake in ``tests/conftest.py``.
Everything else is real: the database, migrations, store keys, the solver and the page, and the
monthly-card panel's profiles, scored by the shipped propensity model on a small simulated brand.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from ba_support import BaServer, PaintedFaceAnalyzer, Tablet
from playwright.sync_api import Browser, BrowserContext

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
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
# Enough customers for every simulated store to have some on the board; written in ~1 s.
SIMULATED_USERS = 2000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serve(
    folder: Path,
    loader: AnalyzerLoader,
    analyzer: PaintedFaceAnalyzer | None = None,
    events: Path | None = None,
) -> Iterator[BaServer]:
    """skinlab on 127.0.0.1 and a free port, with a fresh database and one store key.

    ``events`` is the brand's event tables (none: ``/users/{id}/profile`` answers 503).
    """
    settings = Settings(
        _env_file=None,
        environment="test",
        data_dir=folder,
        events_dir=events,
        log_json=False,
        log_level="WARNING",
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
def simulated_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated brand's event tables, for the monthly-card panel."""
    folder = tmp_path_factory.mktemp("ba-events")
    write_simulation(SimulationConfig.load(), SIMULATED_USERS, folder)
    return folder


@pytest.fixture(scope="session")
def ba_server(
    tmp_path_factory: pytest.TempPathFactory, simulated_events: Path
) -> Iterator[BaServer]:
    """The page with a fake analyzer (no model; an all-black photo has no face)."""
    analyzer = PaintedFaceAnalyzer()
    folder = tmp_path_factory.mktemp("ba") / "var"
    with _serve(folder, lambda _s: analyzer, analyzer, simulated_events) as server:
        yield server


@pytest.fixture(scope="session")
def real_ba_server(
    tmp_path_factory: pytest.TempPathFactory, simulated_events: Path
) -> Iterator[BaServer]:
    """The page with the shipped skin model, as `skinlab serve` runs it."""
    folder = tmp_path_factory.mktemp("ba-real") / "var"
    with _serve(folder, load_skin_analyzer, events=simulated_events) as server:
        yield server


@pytest.fixture
def bare_ba_server(tmp_path: Path) -> Iterator[BaServer]:
    """A fresh server before any customer events were loaded (profiles answer 503)."""
    analyzer = PaintedFaceAnalyzer()
    with _serve(tmp_path / "var", lambda _s: analyzer, analyzer) as server:
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


@pytest.fixture
def open_tablet(
    request: pytest.FixtureRequest, browser: Browser, screenshot_dir: Path
) -> Iterator[Callable[[str, BaServer], Tablet]]:
    """Open tabs as ``open_tablet("1024x768", server)``; fails if any page threw a JS error."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_one(size: str, server: BaServer) -> Tablet:
        width, height = (int(n) for n in size.split("x"))
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=1, has_touch=True
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return Tablet(page, server, screenshot_dir, f"{request.node.originalname}-{size}")

    yield open_one
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def tablet(
    request: pytest.FixtureRequest,
    open_tablet: Callable[[str, BaServer], Tablet],
    ba_server: BaServer,
) -> Tablet:
    """A tab at the size the test is parametrized with, on the server with the fake analyzer."""
    return open_tablet(request.param, ba_server)
