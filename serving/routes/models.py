"""Model management: ``POST /admin/models/reload`` swaps in newly promoted champions now."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from serving.auth import ModelsPrincipalDep
from serving.deps import ModelWatchDep
from serving.routes.health import served_models
from serving.schemas import ErrorBody, ServedModelPublic

router = APIRouter(prefix="/admin/models", tags=["models"])
logger = logging.getLogger("skinlab.serving")


class ReloadResult(BaseModel):
    """What one reload did per model type, and what serves afterwards."""

    outcomes: dict[str, Literal["reloaded", "unchanged", "failed"]] = Field(
        description="reloaded: the champion changed and now answers; failed: see failures"
    )
    failures: dict[str, str] = Field(description="Why a champion could not be loaded")
    served_models: dict[str, ServedModelPublic]


@router.post("/reload", responses={409: {"model": ErrorBody}})
def reload_models(watch: ModelWatchDep, principal: ModelsPrincipalDep) -> ReloadResult:
    """Ask the registry for every champion and swap in those that changed (registry mode).

    Answers once the new models serve; requests meanwhile get the previous ones. A champion
    that fails to load leaves its predecessor serving (200, outcome ``failed``).
    """
    outcomes = watch.check(retry_failed=True)
    logger.info("models reload", extra={"actor": principal.key_id, "outcomes": outcomes})
    return ReloadResult(
        outcomes=dict(outcomes),
        failures={kind: watch.failures()[kind] for kind in outcomes if outcomes[kind] == "failed"},
        served_models=served_models(watch),
    )
