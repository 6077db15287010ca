"""Probes and versions: is the process up, can it analyse, which models answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import skinlab
from formulations.solver import SOLVER_NAME, SOLVER_VERSION
from serving.deps import AnalyzerStateDep, CatalogDep, ModelWatchDep, SessionDep
from serving.model_watch import ModelType, ModelWatch, Served
from serving.schemas import Health, Readiness, ServedModelPublic, VersionInfo

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    """Liveness: the process is up (models may still be loading)."""
    return Health()


@router.get("/readyz", responses={503: {"model": Readiness, "description": "Not ready yet"}})
def readyz(state: AnalyzerStateDep, session: SessionDep, watch: ModelWatchDep) -> JSONResponse:
    """Readiness: 200 once the models are loaded and the database answers, else 503 and why."""
    readiness = Readiness(
        status=state.status, reason=state.failure, model_failures=dict(watch.failures()) or None
    )
    if state.analyzer is not None:
        readiness.model_version = state.analyzer.model_version
        try:
            session.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            readiness.status = "failed"
            readiness.reason = f"database: {type(exc).__name__}"
    return JSONResponse(
        readiness.model_dump(mode="json"), status_code=200 if readiness.status == "ready" else 503
    )


@router.get("/version")
def version(state: AnalyzerStateDep, catalog: CatalogDep, watch: ModelWatchDep) -> VersionInfo:
    """The service version and the version of every model behind the answers."""
    analyzer = state.analyzer
    return VersionInfo(
        version=skinlab.__version__,
        model_version=analyzer.model_version if analyzer else None,
        models=analyzer.versions() if analyzer else {},
        served_models=served_models(watch),
        catalog_version=catalog.version,
        solver_version=f"{SOLVER_NAME} {SOLVER_VERSION}",
    )


def served_models(watch: ModelWatch) -> dict[str, ServedModelPublic]:
    """Each model type's source, the version its answers carry and its registry version."""
    analyzer, scorer = watch.analyzers.analyzer, watch.ranking.loaded_scorer
    versions: dict[ModelType, str | None] = {
        "skin-heads": analyzer.model_version if analyzer else None,
        "propensity": scorer.version if scorer else None,
    }
    served = watch.served()
    out: dict[str, ServedModelPublic] = {}
    for kind, version in versions.items():
        origin = served.get(kind, Served(watch.settings.model_source))  # not loaded yet
        out[kind] = ServedModelPublic(
            source=origin.source, version=version, registry_version=origin.registry_version
        )
    return out
