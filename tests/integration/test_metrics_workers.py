"""With several worker processes, any worker's ``/metrics`` sums the requests of all of them.

Each "worker" is a separate Python process running the app in a TestClient, as uvicorn's
workers are separate processes; prometheus_client's multiprocess mode has to be chosen before
it is imported, which only a fresh process allows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from serving.metrics import MULTIPROCESS_ENV, share_metrics_across_workers

WORKER = """
import sys
from fastapi.testclient import TestClient
from serving.app import create_app

class Analyzer:
    model_version = "fake-1"
    def versions(self):
        return {"skin_model": "fake-1"}

app = create_app(analyzer_loader=lambda _settings: Analyzer())
with TestClient(app) as client:
    assert app.state.analyzer_state.wait(timeout=10)
    for _ in range(int(sys.argv[1])):
        assert client.get("/healthz").status_code == 200
    if sys.argv[2] == "scrape":
        print(client.get("/metrics").text)
"""


def _run_worker(env: dict[str, str], requests: int, *, scrape: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, str(requests), "scrape" if scrape else "quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_a_scrape_sums_every_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "var" / "prometheus"
    folder.mkdir(parents=True)
    (folder / "counter_stale.db").write_bytes(b"left from the last run")
    monkeypatch.setenv(MULTIPROCESS_ENV, "")  # restored after the test, whatever share sets
    share_metrics_across_workers(folder)
    env = {
        **os.environ,
        "SKINLAB_DATA_DIR": str(tmp_path / "var"),
        "SKINLAB_ENVIRONMENT": "test",
        "SKINLAB_METRICS_PUBLIC": "true",
        "SKINLAB_LOG_LEVEL": "WARNING",
    }
    assert env[MULTIPROCESS_ENV] == str(folder)
    assert not (folder / "counter_stale.db").exists()  # emptied at start
    _run_worker(env, 2)
    exposition = _run_worker(env, 3, scrape=True)
    healthz = [
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "skinlab_requests_total" and sample.labels.get("route") == "/healthz"
    ]
    assert healthz == [5.0]
    assert 'skinlab_model_info{model="skin_model",version="fake-1"}' in exposition
