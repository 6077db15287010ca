"""The skin heads through the whole workflow, served with the real analyzer while a thread keeps
analysing a photo: train -> register -> a worse challenger is refused with the reason -> forced
promotion -> serving answers with the new heads -> rollback -> the old heads, no failed request.

The frozen evaluation set is the small sweep of ``TINY_SKIN_SPEC`` (48 painted faces, built
once a session): the production gate's 384-face sweep takes minutes to build. The comparison
records which spec it used, and the test checks that it was this one.
"""

from __future__ import annotations

import io
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import pytest
import yaml
from fastapi.testclient import TestClient
from PIL import Image
from registry_runs import TINY_SKIN_SPEC, manifest_version

from data.photos import FACES_DIR, load_rgb
from skinlab.settings import SHIPPED_MODELS_DIR, Settings
from training import _registry_frozen, registry
from training._registry_frozen import FROZEN_DIR
from training._registry_gate import PromotionRefused
from training.skin import train_skin_heads
from training.tracking import set_experiment

SHIPPED = SHIPPED_MODELS_DIR / "skin_heads"
PHOTO = FACES_DIR / "0-f15-hao-ph.jpg"


def _jpeg(path: Path) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(load_rgb(path)).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


class Analyst(threading.Thread):
    """Keeps calling ``POST /analyze`` and records every answer's model version or failure."""

    def __init__(self, client: TestClient, photo: bytes) -> None:
        super().__init__(daemon=True)
        self.client, self.photo, self.stop = client, photo, threading.Event()
        self.versions: list[str] = []
        self.failures: list[str] = []

    def answers(self, heads: str, timeout: float = 60.0) -> bool:
        """Wait until an analysis that starts from now on answers with ``heads``."""
        start, deadline = len(self.versions), time.monotonic() + timeout
        while time.monotonic() < deadline and not self.failures:
            if any(v.split("-")[1] == heads for v in self.versions[start:]):
                return True
            time.sleep(0.05)
        return False

    def run(self) -> None:
        while not self.stop.is_set():
            response = self.client.post(
                "/analyze",
                files={"image": ("face.jpg", self.photo, "image/jpeg")},
                data={"consent": "true"},
            )
            if response.status_code == 201:
                self.versions.append(response.json()["model_version"])
            else:
                self.failures.append(f"{response.status_code}: {response.text[:200]}")


def _served(client: TestClient) -> tuple[str, int | None]:
    body = client.get("/version").json()
    served = body["served_models"]["skin-heads"]
    assert served["source"] == "registry"
    return body["models"]["skin_heads"], served["registry_version"]


def _reload(client: TestClient) -> str:
    response = client.post("/admin/models/reload")
    assert response.status_code == 200, response.text
    outcome: str = response.json()["outcomes"]["skin-heads"]
    return outcome


def _tiny_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    raw = {"train_samples": 24, "test_samples": 8, "workers": 1, "lightgbm": {"n_estimators": 10}}
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.mark.slow  # trains tiny heads (about 40 s on a busy core) and analyses real photos
@pytest.mark.filterwarnings("ignore:.*Any type hint is inferred:UserWarning")  # mlflow.pyfunc
def test_skin_heads_promotion_and_rollback_are_served_without_a_failed_request(
    api: Callable[..., TestClient],
    settings_factory: Callable[..., Settings],
    skin_frozen_cache: Path,
    fake_analyzer: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings_factory()
    shutil.copytree(skin_frozen_cache, settings.data_dir / FROZEN_DIR)
    monkeypatch.setattr(_registry_frozen, "SKIN_SPEC", TINY_SKIN_SPEC)
    set_experiment(settings, "skin-heads")
    with mlflow.start_run() as shipped_run:
        mlflow.log_artifacts(str(SHIPPED), artifact_path="skin_heads")
    assert registry.register_run(settings, "skin-heads", shipped_run.info.run_id) == 1
    old = manifest_version(SHIPPED)

    # the fake is only the files fallback: the champion loads the real analyzer
    client = api(
        model_source="registry",
        model_poll_seconds=0,
        rate_limit="",
        loader=lambda _s: fake_analyzer,
    )
    assert client.app.state.model_watch.wait_first_check(timeout=120)  # type: ignore[attr-defined]
    assert _served(client) == (old, 1)

    analyst = Analyst(client, _jpeg(PHOTO))
    analyst.start()
    try:
        assert analyst.answers(old), analyst.failures
        trained = train_skin_heads(
            settings, config=_tiny_config(tmp_path), output_dir=tmp_path / "heads", evaluate=False
        )
        new = trained["version"]
        assert new != old
        assert registry.register_run(settings, "skin-heads", trained["mlflow_run_id"]) == 2

        with pytest.raises(PromotionRefused) as refused:
            registry.promote(settings, "skin-heads", actor="ds1")
        worse = {v["metric"] for v in refused.value.details["worse"]}
        assert worse and worse <= {"spearman_within_face", "mae"}
        assert all(metric in refused.value.message for metric in worse)
        assert (
            "worse than champion 1" in refused.value.message and "不如" in refused.value.message_zh
        )
        assert _reload(client) == "unchanged" and _served(client) == (old, 1)

        promoted = registry.promote(
            settings, "skin-heads", force=True, reason="serving test of tiny heads", actor="ds1"
        )
        assert promoted["forced"] is True and promoted["comparison"]["frozen_set"]["size"] == 48
        assert promoted["comparison"]["frozen_set"]["spec"] == TINY_SKIN_SPEC
        assert _reload(client) == "reloaded"
        assert _served(client) == (new, 2)
        assert analyst.answers(new)

        registry.rollback(settings, "skin-heads", actor="ds1")
        assert _reload(client) == "reloaded"
        assert _served(client) == (old, 1)
        assert analyst.answers(old)
    finally:
        analyst.stop.set()
        analyst.join(timeout=60)
    assert analyst.failures == []
    heads = [version.split("-")[1] for version in analyst.versions]  # skin-<heads>-<face models>
    changes = [v for i, v in enumerate(heads) if i == 0 or v != heads[i - 1]]
    assert changes == [old, new, old], changes
