"""The FastAPI application: ``create_app`` wires settings, database, analyzer, errors and logs.

Run it with ``skinlab serve`` (uvicorn's app factory: ``serving.app:create_app``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import skinlab
from formulations.catalog import load_catalog
from formulations.index import catalog_index
from serving.analyzer_state import AnalyzerLoader, load_skin_analyzer
from serving.auth import API_KEY_HEADER
from serving.ba import mount_ba_page
from serving.body_limit import BodyLimitMiddleware
from serving.errors import install_error_handlers
from serving.housekeeping import housekeeping_jobs
from serving.logging import REQUEST_ID_HEADER, RequestContextMiddleware, configure_logging
from serving.metrics import install_metrics
from serving.model_watch import ModelWatch
from serving.rate_limit import KeyRateLimiter
from serving.routes import analyze, contacts, formulate, health, profiles, rank, stores, users
from serving.routes import models as model_routes
from skinlab.db import make_engine, make_sessionmaker, upgrade_database
from skinlab.settings import Settings, get_settings

DESCRIPTION = """\
Skin test for face photos (scores per concern and region, skin tone and type) and custom
formulas solved from a 1000+ module catalog into a base (SKUs with label and compounding sheet).

Every endpoint but `/healthz`, `/readyz` and `/version` needs an API key, sent as
`Authorization: Bearer <key>` or `X-API-Key: <key>` (`skinlab keys create --role ROLE`).

Errors always look like `{"error": {"code", "message", "message_zh", "hint", "details"?}}`.
Send `X-Request-ID` to trace a request; every response echoes it.
"""


def create_app(
    settings: Settings | None = None, *, analyzer_loader: AnalyzerLoader | None = None
) -> FastAPI:
    """Build the API for ``settings`` (default: from the environment).

    Parameters
    ----------
    settings : Settings, optional
        Configuration; ``get_settings()`` when omitted.
    analyzer_loader : callable, optional
        ``Settings -> Analyzer``, run once in the background at start-up (in registry mode
        only while ``skin-heads`` has no champion); defaults to ``SkinAnalyzer.load``. Tests
        pass a fake.
    """
    settings = settings or get_settings()
    loader = analyzer_loader or load_skin_analyzer
    configure_logging(settings.log_level, json_lines=settings.log_json)
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.auto_migrate:
            await anyio.to_thread.run_sync(partial(upgrade_database, settings, engine=engine))
        watch.start()
        jobs = housekeeping_jobs(settings, app.state.sessionmaker)  # retention, audit anchor
        for job in jobs:
            job.start()
        try:
            yield
        finally:
            watch.stop()
            for job in jobs:
                job.stop()
            engine.dispose()

    app = FastAPI(
        title="skinlab",
        version=skinlab.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessionmaker = make_sessionmaker(engine)
    # The analyzer and the ranking board, loaded at start-up; in registry mode the watch swaps
    # a newly promoted champion into them (serving/model_watch.py).
    watch = ModelWatch(settings, loader)
    app.state.model_watch = watch
    app.state.analyzer_state = watch.analyzers
    app.state.ranking = watch.ranking
    # The catalog is data, not a model: load and index it now so a bad catalog fails start-up.
    app.state.catalog = load_catalog(settings.catalog_dir)
    catalog_index(app.state.catalog)
    app.state.rate_limiter = KeyRateLimiter(settings.rate_limit, settings.rate_limit_storage_url)
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        body_limit=settings.max_body_bytes,
        upload_limit=settings.max_request_bytes,
    )
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health.router)
    app.include_router(analyze.router)
    app.include_router(formulate.router)
    app.include_router(stores.router)
    app.include_router(users.router)
    app.include_router(rank.router)
    app.include_router(profiles.router)
    app.include_router(contacts.router)
    app.include_router(model_routes.router)
    mount_ba_page(app, settings)
    # Outside the body limit, so its 413s are counted too (and inside CORS, like the log line).
    install_metrics(app, public=settings.metrics_public)
    # Outermost, so refusals (401, 413, 429) reach an allowed page too. Keys travel in headers,
    # never cookies, so credentials stay off: another origin's page cannot use a BA sign-in.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE"],
        allow_headers=["Authorization", API_KEY_HEADER, "Content-Type", REQUEST_ID_HEADER],
        expose_headers=[REQUEST_ID_HEADER, "Retry-After", "Location"],
        max_age=600,
    )
    return app
