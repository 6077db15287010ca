"""``skinlab bench analyze``: end-to-end latency of ``POST /analyze`` against bare JPEG decoding.

One 1280x960 JPEG (a real shipped face photo scaled onto that canvas) is sent through the
whole service in-process: multipart upload, consent, decoding, the skin test and the database
write, via Starlette's TestClient. In the same run, interleaved with the requests, the same
bytes are merely decoded, so the ratio of the two medians holds even when the machine's speed
drifts. Peak resident memory of the process is reported too.
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from skinlab.settings import PROJECT_ROOT, Settings

BENCH_OUT = PROJECT_ROOT / "bench-out"
BENCH_SIZE = (1280, 960)
TARGET_RATIO = 8.0


def bench_jpeg(quality: int = 90) -> bytes:
    """A 1280x960 JPEG of a real frontal face (shipped photo, height scaled to 960)."""
    from data.photos import load_rgb, shipped_photos

    photo = load_rgb(shipped_photos("invariance")[0])
    width, height = BENCH_SIZE
    scale = height / photo.shape[0]
    size = (round(photo.shape[1] * scale), height)
    resized = np.asarray(cv2.resize(photo, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = resized[:, :1].mean(axis=0).astype(np.uint8)  # extend the backdrop colour
    left = (width - resized.shape[1]) // 2
    canvas[:, left : left + resized.shape[1]] = resized
    ok, buffer = cv2.imencode(
        ".jpg", cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality]
    )
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()


def _percentiles(values: list[float]) -> dict[str, float]:
    array = np.asarray(values)
    return {
        "p50": round(float(np.percentile(array, 50)), 2),
        "p95": round(float(np.percentile(array, 95)), 2),
        "mean": round(float(array.mean()), 2),
    }


def bench_analyze(settings: Settings, *, n: int = 200, json_out: bool = False) -> dict[str, Any]:
    """Time ``n`` in-process ``POST /analyze`` requests and ``n`` bare decodes of one JPEG.

    Parameters
    ----------
    settings : Settings
        Models and limits; the database is a throw-away SQLite file.
    n : int
        Timed requests (and as many timed decodes), after 5 warm-up requests.
    json_out : bool
        Also write the report to ``bench-out/analyze.json``.

    Returns
    -------
    dict
        ``analyze_ms`` and ``decode_ms`` (p50, p95, mean), ``ratio_p50`` with ``target_ratio``,
        the analyzer's own stage timings, ``peak_rss_mb``, sizes and versions.
    """
    from fastapi.testclient import TestClient

    from data.images import decode_image
    from serving.app import create_app

    payload = bench_jpeg()
    limits = {
        "max_bytes": settings.max_upload_bytes,
        "max_pixels": settings.max_image_pixels,
        "min_side": settings.min_image_side,
    }
    with tempfile.TemporaryDirectory() as scratch:
        # No rate limit: the bench sends hundreds of requests a minute with one key on purpose.
        local = settings.model_copy(
            update={
                "data_dir": Path(scratch),
                "database_url": f"sqlite:///{scratch}/bench.db",
                "rate_limit": "",
            }
        )
        app = create_app(local)
        analyze_ms: list[float] = []
        decode_ms: list[float] = []
        stages: dict[str, list[float]] = {}
        with TestClient(app) as client:
            _wait_ready(client)
            client.headers["Authorization"] = f"Bearer {_miniprogram_key(app)}"
            files = {"image": ("bench.jpg", payload, "image/jpeg")}
            form = {"consent": "true", "user_id": "bench-user"}
            for _ in range(5):
                _post(client, files, form)
            for _ in range(n):
                started = time.perf_counter()
                decode_image(payload, **limits)
                decode_ms.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                body = _post(client, files, form)
                analyze_ms.append((time.perf_counter() - started) * 1000)
                for stage, value in body["timing_ms"].items():
                    stages.setdefault(stage, []).append(float(value))
        analyze, decode = _percentiles(analyze_ms), _percentiles(decode_ms)
        report: dict[str, Any] = {
            "n": n,
            "image": {"width": BENCH_SIZE[0], "height": BENCH_SIZE[1], "jpeg_bytes": len(payload)},
            "analyze_ms": analyze,
            "decode_ms": decode,
            "ratio_p50": round(analyze["p50"] / max(decode["p50"], 1e-6), 2),
            "target_ratio": TARGET_RATIO,
            "analyzer_stage_p50_ms": {k: _percentiles(v)["p50"] for k, v in stages.items()},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "model_version": body["model_version"],
            "cv2_threads": cv2.getNumThreads(),
        }
    if json_out:
        BENCH_OUT.mkdir(parents=True, exist_ok=True)
        (BENCH_OUT / "analyze.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return report


def _miniprogram_key(app: Any) -> str:
    """A key for the bench's own database (the mini-program is who calls /analyze)."""
    from skinlab.api_keys import create_api_key

    with app.state.sessionmaker() as session:
        issued = create_api_key(session, "miniprogram", label="bench")
        session.commit()
    return issued.key


def _wait_ready(client: Any, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while client.get("/readyz").status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"service not ready: {client.get('/readyz').json()}")
        time.sleep(0.05)


def _post(client: Any, files: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    response = client.post("/analyze", files=files, data=form)
    if response.status_code != 201:
        raise RuntimeError(f"/analyze answered {response.status_code}: {response.text[:300]}")
    body: dict[str, Any] = response.json()
    return body
