"""Dependencies routes declare by type: ``settings: SettingsDep``, ``session: SessionDep``...

Everything here reads what ``create_app`` put on ``app.state``, so tests can build apps with
their own settings, and swap any of these with ``app.dependency_overrides``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, cast

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from formulations.catalog import Catalog
from serving.analyzer_state import Analyzer, AnalyzerState
from serving.model_watch import ModelWatch
from serving.ranking_state import RankingState
from skinlab.settings import Settings


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return cast(Settings, request.app.state.settings)


def get_session(request: Request) -> Iterator[Session]:
    """A database session for one request, closed afterwards; routes commit explicitly."""
    factory = cast(sessionmaker[Session], request.app.state.sessionmaker)
    with factory() as session:
        yield session


def get_analyzer_state(request: Request) -> AnalyzerState:
    """The analyzer's loading state (for readiness)."""
    return cast(AnalyzerState, request.app.state.analyzer_state)


def get_analyzer(request: Request) -> Analyzer:
    """The loaded skin analyzer; 503 ``MODEL_UNAVAILABLE`` until it is."""
    return get_analyzer_state(request).require()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
AnalyzerStateDep = Annotated[AnalyzerState, Depends(get_analyzer_state)]
AnalyzerDep = Annotated[Analyzer, Depends(get_analyzer)]


def get_catalog(request: Request) -> Catalog:
    """The formulation catalog loaded at start-up."""
    return cast(Catalog, request.app.state.catalog)


CatalogDep = Annotated[Catalog, Depends(get_catalog)]


def get_ranking_state(request: Request) -> RankingState:
    """The scored user board behind ``/rank`` and user profiles."""
    return cast(RankingState, request.app.state.ranking)


RankingStateDep = Annotated[RankingState, Depends(get_ranking_state)]


def get_model_watch(request: Request) -> ModelWatch:
    """What serves each model type, and the reloading of registry champions."""
    return cast(ModelWatch, request.app.state.model_watch)


ModelWatchDep = Annotated[ModelWatch, Depends(get_model_watch)]
