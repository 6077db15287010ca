"""Serving follows the registry's champion without a restart and without failing a request.

train -> register -> promote -> serving answers with the new version -> rollback -> serving
answers with the old one, on a temporary MLflow store, while a thread keeps ranking. The skin
heads' promotion and rollback under load are in test_skin_promotion.py; here they are only
shown served from the registry.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import pytest
from fastapi.testclient import TestClient
from registry_runs import log_propensity_run, manifest_version

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
from skinlab.settings import SHIPPED_MODELS_DIR, Settings
from training import registry
from training._registry_frozen import FROZEN_DIR
from training.tracking import set_experiment

SHIPPED = SHIPPED_MODELS_DIR / "propensity"
USERS = 1500


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    write_simulation(SimulationConfig.load(), USERS, folder)
    return folder


def _propensity(client: TestClient) -> tuple[str, int]:
    served = client.get("/version").json()["served_models"]["propensity"]
    assert served["source"] == "registry"
    return served["version"], served["registry_version"]


def _reload(client: TestClient) -> dict[str, str]:
    response = client.post("/admin/models/reload")
    assert response.status_code == 200, response.text
    outcomes: dict[str, str] = response.json()["outcomes"]
    return outcomes


class Ranker(threading.Thread):
    """Keeps calling ``POST /rank`` and records every answer's model version or failure."""

    def __init__(self, client: TestClient) -> None:
        super().__init__(daemon=True)
        self.client, self.stop = client, threading.Event()
        self.versions: list[str] = []
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            response = self.client.post("/rank", json={"top_k": 5, "reasons": 1})
            if response.status_code == 200:
                self.versions.append(response.json()["model_version"])
            else:
                self.failures.append(f"{response.status_code}: {response.text[:200]}")


def test_serving_follows_promotion_and_rollback_without_a_failed_request(
    api: Callable[..., TestClient],
    settings_factory: Callable[..., Settings],
    frozen_cache: Path,
    degraded: Path,
    events: Path,
) -> None:
    settings = settings_factory()  # the app's data folder: its MLflow store and frozen set
    shutil.copytree(frozen_cache, settings.data_dir / FROZEN_DIR)
    old, new = manifest_version(SHIPPED), manifest_version(degraded)
    assert old != new
    assert registry.register_run(settings, "propensity", log_propensity_run(settings, SHIPPED)) == 1

    # no rate limit: the ranking thread sends hundreds of requests a minute
    client = api(events_dir=events, model_source="registry", model_poll_seconds=0, rate_limit="")
    assert client.app.state.model_watch.wait_first_check(timeout=60)  # type: ignore[attr-defined]
    assert _propensity(client) == (old, 1)
    skin = client.get("/version").json()["served_models"]["skin-heads"]
    assert skin == {"source": "files", "version": "fake-1", "registry_version": None}
    assert client.post("/rank", json={"top_k": 5}).json()["model_version"] == old

    ranker = Ranker(client)
    ranker.start()
    try:
        # `degraded` was trained by the fixture; the gate refuses it, so it is forced
        assert registry.register_run(settings, "propensity", log_propensity_run(settings, degraded))
        registry.promote(settings, "propensity", force=True, reason="hot reload test", actor="t")
        assert _propensity(client) == (old, 1)  # nothing changes before a reload
        assert _reload(client) == {"skin-heads": "unchanged", "propensity": "reloaded"}
        assert _propensity(client) == (new, 2)
        assert client.post("/rank", json={"top_k": 5}).json()["model_version"] == new
        assert _reload(client)["propensity"] == "unchanged"

        registry.rollback(settings, "propensity", actor="t")
        assert _reload(client)["propensity"] == "reloaded"
        assert _propensity(client) == (old, 1)
        assert client.post("/rank", json={"top_k": 5}).json()["model_version"] == old
    finally:
        ranker.stop.set()
        ranker.join(timeout=30)
    assert ranker.failures == []
    # every answer came from one model, and they changed in order: old, then new, then old
    changes = [v for i, v in enumerate(ranker.versions) if i == 0 or v != ranker.versions[i - 1]]
    assert changes in ([old], [old, new], [old, new, old], [new], [new, old]), changes
    assert new in ranker.versions


def test_reload_needs_the_registry_source_and_a_models_role(
    api: Callable[..., TestClient],
) -> None:
    refused = api().post("/admin/models/reload")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "MODEL_SOURCE_FILES"
    store = api(role="store", store_id="S001").post("/admin/models/reload")
    assert store.status_code == 403
    nobody = api(role=None).post("/admin/models/reload")
    assert nobody.status_code == 401


def test_the_skin_heads_champion_is_served_with_the_shipped_face_models(
    api: Callable[..., TestClient], settings_factory: Callable[..., Settings], fake_analyzer: Any
) -> None:
    settings = settings_factory()
    set_experiment(settings, "skin-heads")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(SHIPPED_MODELS_DIR / "skin_heads"), artifact_path="skin_heads")
    assert registry.register_run(settings, "skin-heads", run.info.run_id) == 1

    # the fake is only the files fallback: the champion loads the real analyzer
    client = api(model_source="registry", model_poll_seconds=0, loader=lambda _s: fake_analyzer)
    assert client.app.state.model_watch.wait_first_check(timeout=120)  # type: ignore[attr-defined]
    body = client.get("/version").json()
    heads = manifest_version(SHIPPED_MODELS_DIR / "skin_heads")
    assert body["served_models"]["skin-heads"]["registry_version"] == 1
    assert body["model_version"].startswith(f"skin-{heads}-")
    assert body["models"]["skin_heads"] == heads
    assert _reload(client)["skin-heads"] == "unchanged"
