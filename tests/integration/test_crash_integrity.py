"""Several workers, concurrent writes and a worker killed mid-request: nothing issued is lost.

Runs the real ``skinlab serve --workers 2`` on the loopback address (serving.load_bench).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest

from formulations.catalog import load_catalog
from formulations.sampling import random_needs
from serving.load_bench import RunningServer, running_server


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(workers=2, users=300) as running:
        yield running


def _post(server: RunningServer, body: dict[str, object]) -> httpx.Response | str:
    try:
        return httpx.post(
            f"{server.base_url}/formulate",
            json=body,
            headers={"Authorization": f"Bearer {server.key}"},
            timeout=60,
        )
    except httpx.HTTPError as error:  # the killed worker's connections
        return type(error).__name__


def _database(server: RunningServer) -> sqlite3.Connection:
    return sqlite3.connect(server.data_dir / "skinlab.db")


def test_concurrent_identical_formulations_make_one_sku(server: RunningServer) -> None:
    needs = random_needs(np.random.default_rng(7), load_catalog(None), hard=False)
    body = needs.model_dump(mode="json")
    with ThreadPoolExecutor(max_workers=12) as pool:
        responses = list(pool.map(lambda _: _post(server, body), range(24)))
    assert all(isinstance(r, httpx.Response) and r.status_code == 201 for r in responses)
    codes = {r.json()["sku"] for r in responses if isinstance(r, httpx.Response)}
    assert len(codes) == 1
    with _database(server) as db:
        code = codes.pop()
        assert db.execute("SELECT count(*) FROM skus WHERE code = ?", (code,)).fetchone()[0] == 1
        issued = db.execute("SELECT count(*) FROM sku_issuances WHERE sku_code = ?", (code,))
        assert issued.fetchone()[0] == 24
    assert sum(r.json()["new_sku"] for r in responses if isinstance(r, httpx.Response)) == 1


def test_killing_a_worker_mid_request_loses_no_issued_sku(server: RunningServer) -> None:
    catalog = load_catalog(None)
    bodies = [
        random_needs(np.random.default_rng(1000 + i), catalog, hard=False).model_dump(mode="json")
        for i in range(60)
    ]
    victim = server.worker_pids()[0]
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(_post, server, body) for body in bodies]
        time.sleep(1.0)  # requests in flight on both workers
        unfinished = sum(not future.done() for future in futures)
        os.kill(victim, signal.SIGKILL)
        results = [future.result() for future in futures]
    assert unfinished > 0, "every request ended before the kill: nothing was tested"
    issued = [r for r in results if isinstance(r, httpx.Response) and r.status_code == 201]
    assert issued, "no request succeeded"
    assert all(isinstance(r, str) or r.status_code in (201, 422) for r in results)
    with _database(server) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        for response in issued:
            code = response.json()["sku"]
            row = db.execute("SELECT count(*) FROM skus WHERE code = ?", (code,)).fetchone()
            assert row[0] == 1, f"{code} was answered but not stored"
    # the service still answers after losing a worker
    again = _post(server, bodies[0])
    assert isinstance(again, httpx.Response) and again.status_code in (201, 422)
