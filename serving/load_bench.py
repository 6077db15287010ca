"""``skinlab bench load``: a mixed workload against ``skinlab serve`` with several workers.

The bench starts a real server on the loopback address (its own data folder, an admin key, a
small simulated brand for ``/rank``, no rate limit), waits until it is ready, then keeps
``concurrency`` requests in flight for ``duration`` seconds, drawn from a fixed mix of
``POST /analyze`` (a 1280x960 face photo), ``POST /formulate`` (random needs, issued) and
``POST /rank``. It reports throughput, p50/p99 latency per kind and every error: a 5xx, a
refused connection or an unexpected 4xx (a 422 for an infeasible formula is an answer, not an
error). Then it stops the server.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MIX = {"analyze": 0.4, "formulate": 0.4, "rank": 0.2}
"""Share of each kind of request: the mini-program's two calls and the EBA list."""
EXPECTED_REFUSALS = {"formulate": {422}}
"""Answers that are correct refusals, not errors: an infeasible formula is a 422."""


@dataclass
class RunningServer:
    base_url: str
    key: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes: the server's children, from /proc (Linux)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        workers = []
        for child in children:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"resource_tracker" not in command:  # multiprocessing's helper, not a worker
                workers.append(int(child))
        return workers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


SKINLAB = Path(sys.executable).with_name("skinlab")
"""The ``skinlab`` command of this environment."""


def _skinlab(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(SKINLAB), *args], env=env, capture_output=True, check=True)
    return done.stdout.decode().strip()


@contextmanager
def running_server(
    workers: int = 2, *, users: int = 2000, ready_timeout_s: float = 120.0
) -> Iterator[RunningServer]:
    """Start ``skinlab serve --workers N`` on a free loopback port with its own data folder."""
    import httpx

    from data.simulation_config import SimulationConfig
    from data.simulator import write_simulation

    with tempfile.TemporaryDirectory(prefix="skinlab-load-") as scratch:
        data_dir = Path(scratch)
        write_simulation(SimulationConfig.load(), users, data_dir / "events")
        env = {
            **os.environ,
            "SKINLAB_DATA_DIR": str(data_dir),
            "SKINLAB_EVENTS_DIR": str(data_dir / "events"),
            "SKINLAB_RATE_LIMIT": "",
            "SKINLAB_SESSION_SECRET": "load-bench-only",
            "SKINLAB_LOG_LEVEL": "WARNING",
            "SKINLAB_ENVIRONMENT": "test",
        }
        env.pop("SKINLAB_DATABASE_URL", None)
        _skinlab("db", "upgrade", env=env)
        key = _skinlab("keys", "create", "--role", "admin", "--label", "load bench", env=env)
        port = _free_port()
        process = subprocess.Popen(
            [str(SKINLAB), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + ready_timeout_s
            while True:
                try:
                    if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"skinlab serve did not become ready on {base_url}")
                time.sleep(0.2)
            yield RunningServer(base_url, key, data_dir, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _requests(seed: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """An endless, seeded stream of (kind, httpx keyword arguments)."""
    from formulations.catalog import load_catalog
    from formulations.sampling import random_needs
    from serving.bench import bench_jpeg

    rng = np.random.default_rng(seed)
    catalog = load_catalog(None)
    photo = bench_jpeg()
    kinds, shares = list(MIX), np.asarray(list(MIX.values()))
    while True:
        kind = str(rng.choice(kinds, p=shares / shares.sum()))
        if kind == "analyze":
            yield (
                kind,
                {
                    "url": "/analyze",
                    "files": {"image": ("face.jpg", photo, "image/jpeg")},
                    "data": {"consent": "true"},
                },
            )
        elif kind == "formulate":
            needs = random_needs(rng, catalog, hard=False)
            yield kind, {"url": "/formulate", "json": needs.model_dump(mode="json")}
        else:
            yield kind, {"url": "/rank", "json": {"top_k": 20}}


async def _drive(
    server: RunningServer, duration_s: float, concurrency: int, seed: int
) -> tuple[list[tuple[str, int, float]], list[str]]:
    import httpx

    stream = _requests(seed)
    done: list[tuple[str, int, float]] = []
    failures: list[str] = []
    stop_at = time.monotonic() + duration_s
    headers = {"Authorization": f"Bearer {server.key}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=60) as client:

        async def worker() -> None:
            while time.monotonic() < stop_at:
                kind, request = next(stream)
                started = time.perf_counter()
                try:
                    response = await client.post(**request)
                except httpx.HTTPError as error:
                    failures.append(f"{kind}: {type(error).__name__}")
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                done.append((kind, response.status_code, elapsed))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, failures


def _summary(times: list[float]) -> dict[str, float]:
    if not times:
        return {}
    array = np.asarray(times)
    return {
        "p50": round(float(np.percentile(array, 50)), 1),
        "p99": round(float(np.percentile(array, 99)), 1),
    }


def bench_load(
    *, duration_s: float = 30.0, concurrency: int = 8, workers: int = 2, seed: int = 0
) -> dict[str, Any]:
    """Run the mixed workload once and report throughput, latency and errors."""
    with running_server(workers) as server:
        started = time.monotonic()
        done, failures = asyncio.run(_drive(server, duration_s, concurrency, seed))
        elapsed = time.monotonic() - started
    by_kind: dict[str, Any] = {}
    errors = list(failures)
    for kind in MIX:
        rows = [(status, ms) for k, status, ms in done if k == kind]
        refused = EXPECTED_REFUSALS.get(kind, set())
        bad = [status for status, _ in rows if status >= 300 and status not in refused]
        errors += [f"{kind}: HTTP {status}" for status in bad]
        by_kind[kind] = {
            "requests": len(rows),
            "per_second": round(len(rows) / elapsed, 2),
            "ms": _summary([ms for _, ms in rows]),
            "statuses": {str(s): sum(1 for t, _ in rows if t == s) for s in {t for t, _ in rows}},
        }
    return {
        "benchmark": "load",
        "workers": workers,
        "concurrency": concurrency,
        "duration_s": round(elapsed, 1),
        "requests": len(done),
        "per_second": round(len(done) / elapsed, 2),
        "ms": _summary([ms for _, _, ms in done]),
        "by_kind": by_kind,
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:10],
    }
