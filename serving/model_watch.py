"""The models serving answers with, and picking up a new registry champion without a restart.

``SKINLAB_MODEL_SOURCE=files`` (the default) loads ``settings.models_dir`` once, as shipped or
as trained in place. ``registry`` serves each model type's MLflow ``champion`` (the files while a
type has none): the first load asks the registry, and so do a poller (every
``SKINLAB_MODEL_POLL_SECONDS``) and ``POST /admin/models/reload``. When a champion changed
(promotion or rollback) its artifacts are downloaded and loaded completely on the watch's
thread, then swapped in with one reference assignment: a request that started with the old model
finishes with it, the next one gets the new. A load that fails leaves the old model serving; the
failure is logged and shown by ``/readyz`` until a load of that model succeeds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.propensity_scorer import PropensityScorer
from serving.analyzer_state import (
    AnalyzerLoader,
    AnalyzerState,
    HeadsLoader,
    load_skin_analyzer_with_heads,
)
from serving.ranking_state import RankingState
from skinlab.errors import SkinlabError
from skinlab.settings import Settings

logger = logging.getLogger("skinlab.serving")

ModelType = Literal["skin-heads", "propensity"]
MODEL_TYPES: tuple[ModelType, ...] = ("skin-heads", "propensity")
ModelSource = Literal["files", "registry"]
Outcome = Literal["reloaded", "unchanged", "failed"]
ChampionLookup = Callable[[Settings, str], int | None]
ArtifactsFetch = Callable[[Settings, str, int], Path]
ScorerLoader = Callable[[Path], PropensityScorer]


class ModelSourceIsFiles(SkinlabError):
    status = 409
    code = "MODEL_SOURCE_FILES"
    message = "Serving loads its model files once (SKINLAB_MODEL_SOURCE=files); nothing to reload."
    message_zh = "服务只在启动时加载模型文件（SKINLAB_MODEL_SOURCE=files），无法热更新。"
    hint = "Set SKINLAB_MODEL_SOURCE=registry to serve the registry's champions, or restart."
    hint_zh = "设置 SKINLAB_MODEL_SOURCE=registry 以使用注册表中的冠军模型，或重启服务。"


@dataclass(frozen=True)
class Served:
    """Where the model of one type that serves now came from."""

    source: ModelSource
    registry_version: int | None = None


def _registry_champion(settings: Settings, model_type: str) -> int | None:
    from training.registry import champion_version  # MLflow only in registry mode

    return champion_version(settings, model_type)


def _registry_artifacts(settings: Settings, model_type: str, version: int) -> Path:
    from training.registry import artifacts_of

    return artifacts_of(settings, model_type, version)


class ModelWatch:
    """Owns the analyzer and ranking states and swaps a new champion into them.

    Parameters
    ----------
    settings : Settings
        ``model_source`` and ``model_poll_seconds`` decide what it does.
    files_loader : callable
        ``Settings -> Analyzer`` for the skin analyzer from ``models_dir`` (tests pass a fake).
    heads_loader, scorer_loader, champion, artifacts : callable, optional
        The analyzer from a heads folder, the scorer from a propensity folder, the registry's
        champion version of a model type and a local copy of a version's artifacts; the
        defaults are the real ones (tests pass fakes).
    """

    def __init__(
        self,
        settings: Settings,
        files_loader: AnalyzerLoader,
        *,
        heads_loader: HeadsLoader = load_skin_analyzer_with_heads,
        scorer_loader: ScorerLoader = PropensityScorer,
        champion: ChampionLookup = _registry_champion,
        artifacts: ArtifactsFetch = _registry_artifacts,
    ) -> None:
        self.settings = settings
        self.analyzers = AnalyzerState()
        self.ranking = RankingState(settings, files_scorer=not self.from_registry)
        self._files_loader = files_loader
        self._heads_loader = heads_loader
        self._scorer_loader = scorer_loader
        self._champion = champion
        self._artifacts = artifacts
        self._served: dict[ModelType, Served] = {}
        self._failures: dict[ModelType, str] = {}
        self._failed_versions: dict[ModelType, int | None] = {}  # loads that failed, not lookups
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._first_check = threading.Event()

    @property
    def from_registry(self) -> bool:
        return self.settings.model_source == "registry"

    def served(self) -> Mapping[ModelType, Served]:
        """Each loaded model type's source and registry version (files mode: both files)."""
        if not self.from_registry:
            return dict.fromkeys(MODEL_TYPES, Served("files"))
        return dict(self._served)

    def failures(self) -> Mapping[ModelType, str]:
        """Why the newest champion of a type could not be loaded (the previous one serves)."""
        return dict(self._failures)

    def start(self) -> threading.Thread | None:
        """Begin serving: files load in the background as before; registry mode loads each
        champion on the watch's thread, then checks again every ``model_poll_seconds``."""
        if not self.from_registry:
            self.analyzers.load_in_background(self._files_loader, self.settings)
            self.ranking.build_in_background()
            return None
        thread = threading.Thread(target=self._watch, name="skinlab-model-watch", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def wait_first_check(self, timeout: float | None = None) -> bool:
        """Block until registry mode's first load has finished (either way); False on timeout."""
        return self._first_check.wait(timeout) if self.from_registry else True

    def check(self, *, retry_failed: bool = False) -> dict[ModelType, Outcome]:
        """Ask the registry for every champion; load and swap in each one that changed.

        A version whose load failed is skipped by the poller until ``retry_failed`` (the admin
        endpoint) or a different champion.
        """
        if not self.from_registry:
            raise ModelSourceIsFiles()
        with self._lock:
            return {kind: self._check(kind, retry_failed) for kind in MODEL_TYPES}

    def _watch(self) -> None:
        try:
            self.check()
        finally:
            self._first_check.set()
        interval = self.settings.model_poll_seconds
        while interval > 0 and not self._stop.wait(interval):
            try:
                self.check()
            except Exception:  # keep polling; the next check may succeed
                logger.exception("checking the registry's champions failed")

    def _check(self, kind: ModelType, retry_failed: bool) -> Outcome:
        served = self._served.get(kind)
        try:
            version = self._champion(self.settings, kind)
        except Exception as error:
            self._failed_versions.pop(kind, None)
            return self._fail(kind, None, error, first=served is None)
        if served is not None and served.registry_version == version:
            return "unchanged"
        failed_before = kind in self._failed_versions and self._failed_versions[kind] == version
        if failed_before and not retry_failed:
            return "failed"
        try:
            folder = self._artifacts(self.settings, kind, version) if version else None
            self._load(kind, folder)
        except Exception as error:
            self._failed_versions[kind] = version
            return self._fail(kind, version, error, first=served is None)
        self._served[kind] = Served("registry" if version else "files", version)
        self._failures.pop(kind, None)
        self._failed_versions.pop(kind, None)
        logger.info(
            "model loaded", extra={"model_type": kind, "registry_version": version or "files"}
        )
        return "reloaded"

    def _load(self, kind: ModelType, folder: Path | None) -> None:
        """Load fully, then swap; ``folder`` None means the files in ``models_dir``."""
        if kind == "skin-heads":
            analyzer = (
                self._heads_loader(self.settings, folder)
                if folder is not None
                else self._files_loader(self.settings)
            )
            self.analyzers.swap(analyzer)
        else:
            scorer = self._scorer_loader(folder or self.settings.models_dir / "propensity")
            self.ranking.use_scorer(scorer)

    def _fail(
        self, kind: ModelType, version: int | None, error: Exception, *, first: bool
    ) -> Outcome:
        what = f"version {version}" if version else "the registry"
        reason = f"{what}: {type(error).__name__}: {error}"
        self._failures[kind] = reason
        logger.error(
            "loading the %s champion failed; the previous model keeps serving",
            kind,
            exc_info=error,
            extra={"model_type": kind, "registry_version": version},
        )
        if first and kind == "skin-heads":
            self.analyzers.mark_failed(reason)
        return "failed"
