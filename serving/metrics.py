"""Prometheus metrics: requests, latencies, rejections by error code, model versions, readiness.

Each app has its own ``CollectorRegistry`` (tests build many apps in one process). The
middleware labels requests by route template (``/users/{user_id}/analyses``), never the raw
path, so no user id, SKU or store ever becomes a label; a path no route matches is
``<unmatched>``. Rejections are counted by the code ``serving.errors.render_error`` rendered
(401, 403, 413, 422, 429 included), read from the request state it leaves.

``GET /metrics`` needs a key of the ``metrics`` area (data scientists and admins; Prometheus
sends it with ``authorization: {credentials: ...}`` in its scrape config) unless
``SKINLAB_METRICS_PUBLIC=true``, for a scrape network the reverse proxy does not expose.
With ``skinlab serve --workers N`` the workers count into shared files
(``<data dir>/prometheus``, prometheus_client's multiprocess mode), so any worker's ``/metrics``
sums all of them; model versions and readiness are those of the worker that answers.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import cast

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.analyzer_state import AnalyzerState
from serving.auth import require_area
from serving.errors import ERROR_CODE_STATE
from serving.ranking_state import RankingState

UNMATCHED = "<unmatched>"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Photos take 0.1-2 s to analyse; solving a formula up to the solver's 5 s limit.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """The request counters of one app, in the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "skinlab_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "skinlab_request_seconds",
            "Time to answer a request, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.rejections = Counter(
            "skinlab_rejections",
            "Error responses, by the error code in their body.",
            ["code"],
            registry=registry,
        )


class ModelCollector(Collector):
    """``skinlab_model_info`` and ``skinlab_ready``, read from the app's state at each scrape,
    so a model reloaded in place shows its new version at once."""

    def __init__(self, app: FastAPI) -> None:
        self._state = app.state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "skinlab_model_info",
            "Models and data versions serving answers (1).",
            labels=["model", "version"],
        )
        for model, version in sorted(self._versions().items()):
            info.add_metric([model, version], 1)
        yield info
        analyzer_state = cast(AnalyzerState, self._state.analyzer_state)
        ready = GaugeMetricFamily("skinlab_ready", "1 once the skin models are loaded, else 0.")
        ready.add_metric([], 1 if analyzer_state.status == "ready" else 0)
        yield ready

    def _versions(self) -> dict[str, str]:
        versions: dict[str, str] = {"catalog": str(self._state.catalog.version)}
        analyzer = cast(AnalyzerState, self._state.analyzer_state).analyzer
        if analyzer is not None:
            versions.update(analyzer.versions())
        ranking = cast(RankingState, self._state.ranking)
        if ranking.status == "ready":  # the board is built, so its scorer is loaded already
            versions["propensity"] = ranking.scorer().version
        return versions


def route_template(scope: Scope, templates: Sequence[tuple[re.Pattern[str], str]]) -> str:
    """The template of the route that answered (or would have answered) ``scope``."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    # Refused before routing (413 from the body limit): match the templates as the router would.
    for pattern, template in templates:
        if pattern.match(scope["path"]):
            return template
    return UNMATCHED


def _templates(routes: Sequence[BaseRoute]) -> list[tuple[re.Pattern[str], str]]:
    """Every route's path regex and template, included routers' routes with their prefix."""
    compiled = []
    for context in iter_route_contexts(routes):
        template = context.path_format
        if template:
            compiled.append((compile_path(template)[0], template))
    return compiled


class MetricsMiddleware:
    """Counts every HTTP request by route template and status, and its error code if any."""

    def __init__(
        self, app: ASGIApp, *, metrics: RequestMetrics, routes: Callable[[], Sequence[BaseRoute]]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self._routes = routes
        self._templates: list[tuple[re.Pattern[str], str]] | None = None

    def _route_of(self, scope: Scope) -> str:
        if self._templates is None:  # built on first use: routes are all added by then
            self._templates = _templates(self._routes())
        return route_template(scope, self._templates)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = self._route_of(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
            code = scope.get("state", {}).get(ERROR_CODE_STATE)
            if code is None and status >= 500:
                code = "INTERNAL_ERROR"  # an unhandled exception, rendered outside us
            if code is not None:
                self.metrics.rejections.labels(str(code)).inc()


def metrics_router(*, public: bool) -> APIRouter:
    """``GET /metrics``, guarded by the ``metrics`` area unless ``public``."""
    dependencies = [] if public else [Depends(require_area("metrics"))]
    router = APIRouter(tags=["health"], dependencies=dependencies)

    @router.get("/metrics", response_class=Response)
    def metrics(request: Request) -> Response:
        """Prometheus text format: requests, latencies, rejections, model versions, readiness."""
        registry = _exposition_registry(cast(FastAPI, request.app))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


def _exposition_registry(app: FastAPI) -> CollectorRegistry:
    """This app's registry, or every worker's counters summed when they share a directory."""
    if not os.environ.get(MULTIPROCESS_ENV):
        return cast(CollectorRegistry, app.state.metrics_registry)
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # its __init__ is unannotated
    registry.register(ModelCollector(app))  # the models of the worker that answers
    return registry


def share_metrics_across_workers(folder: Path) -> None:
    """Make the worker processes started after this call count into files under ``folder``
    (emptied first), so any worker's ``/metrics`` reports all of them.

    prometheus_client picks its storage when first imported, from ``PROMETHEUS_MULTIPROC_DIR``;
    ``skinlab serve --workers N`` calls this before uvicorn spawns the workers.
    """
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(folder)


def install_metrics(app: FastAPI, *, public: bool) -> None:
    """Give ``app`` its registry, the middleware that fills it, and ``GET /metrics``."""
    registry = CollectorRegistry()
    registry.register(ModelCollector(app))
    app.state.metrics_registry = registry
    app.add_middleware(
        MetricsMiddleware, metrics=RequestMetrics(registry), routes=lambda: app.routes
    )
    app.include_router(metrics_router(public=public))
