"""Probes and versions: is the process up, can it analyse, which models answer."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import skinlab
from formulations.solver import SOLVER_NAME, SOLVER_VERSION
from serving.deps import AnalyzerStateDep, CatalogDep, SessionDep
from serving.schemas import Health, Readiness, VersionInfo

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    """Liveness: the process is up (models may still be loading)."""
    return Health()


@router.get("/readyz", responses={503: {"model": Readiness, "description": "Not ready yet"}})
def readyz(state: AnalyzerStateDep, session: SessionDep) -> JSONResponse:
    """Readiness: 200 once the models are loaded and the database answers, else 503 and why."""
    readiness = Readiness(status=state.status, reason=state.failure)
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
def version(state: AnalyzerStateDep, catalog: CatalogDep) -> VersionInfo:
    """The service version and the version of every model behind the answers."""
    analyzer = state.analyzer
    return VersionInfo(
        version=skinlab.__version__,
        model_version=analyzer.model_version if analyzer else None,
        models=analyzer.versions() if analyzer else {},
        catalog_version=catalog.version,
        solver_version=f"{SOLVER_NAME} {SOLVER_VERSION}",
    )
