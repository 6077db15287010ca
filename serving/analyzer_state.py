"""The skin analyzer the API serves, loaded once per process in the background.

The server answers ``/healthz`` at once, ``/readyz`` turns 200 when the models are loaded (or
stays 503 with the reason if loading failed), and ``/analyze`` answers 503 until then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from models.results import SkinAnalysis
from skinlab.errors import ModelUnavailable
from skinlab.settings import Settings

logger = logging.getLogger("skinlab.serving")

LoadStatus = Literal["loading", "ready", "failed"]


class Analyzer(Protocol):
    """What the API needs from ``models.analyzer.SkinAnalyzer`` (tests pass fakes)."""

    @property
    def model_version(self) -> str: ...

    def analyze(self, rgb: NDArray[np.uint8], *, overlays: bool = False) -> SkinAnalysis: ...

    def versions(self) -> dict[str, str]: ...


AnalyzerLoader = Callable[[Settings], Analyzer]
HeadsLoader = Callable[[Settings, Path], Analyzer]


def load_skin_analyzer(settings: Settings) -> Analyzer:
    """The production loader: the shipped (or trained) ONNX models in ``settings.models_dir``."""
    from models.analyzer import SkinAnalyzer

    return SkinAnalyzer.load(settings)


def load_skin_analyzer_with_heads(settings: Settings, heads_dir: Path) -> Analyzer:
    """The face models in ``settings.models_dir`` with the skin heads in ``heads_dir``.

    What a registry champion of ``skin-heads`` is: only the heads are trained and versioned.
    """
    from models.analyzer import SkinAnalyzer

    return SkinAnalyzer(settings.models_dir, settings, heads_dir=heads_dir)


class AnalyzerState:
    """Holds the analyzer once loaded, or why it could not be."""

    def __init__(self) -> None:
        self._analyzer: Analyzer | None = None
        self._failure: str | None = None
        self._done = threading.Event()

    @property
    def status(self) -> LoadStatus:
        if self._analyzer is not None:
            return "ready"
        return "failed" if self._failure is not None else "loading"

    @property
    def failure(self) -> str | None:
        """Why loading failed (exception type and message), for operators."""
        return self._failure

    @property
    def analyzer(self) -> Analyzer | None:
        return self._analyzer

    def load(self, loader: AnalyzerLoader, settings: Settings) -> None:
        """Run ``loader`` and keep its analyzer, or the reason it failed."""
        try:
            analyzer = loader(settings)
        except Exception as exc:
            self._failure = f"{type(exc).__name__}: {exc}"
            logger.exception("loading the skin analyzer failed")
        else:
            self._analyzer = analyzer
            logger.info("skin analyzer ready", extra={"model_version": analyzer.model_version})
        finally:
            self._done.set()

    def swap(self, analyzer: Analyzer) -> None:
        """Serve ``analyzer`` from the next request on; one that holds the old one finishes it."""
        self._analyzer, self._failure = analyzer, None
        self._done.set()
        logger.info("skin analyzer swapped", extra={"model_version": analyzer.model_version})

    def mark_failed(self, reason: str) -> None:
        """Record why the first load failed (a loaded analyzer keeps serving)."""
        if self._analyzer is None:
            self._failure = reason
        self._done.set()

    def load_in_background(self, loader: AnalyzerLoader, settings: Settings) -> threading.Thread:
        """Start ``load`` on a daemon thread so start-up is not blocked by model loading."""
        thread = threading.Thread(
            target=self.load, args=(loader, settings), name="skinlab-analyzer-load", daemon=True
        )
        thread.start()
        return thread

    def wait(self, timeout: float | None = None) -> bool:
        """Block until loading has finished (either way); False on timeout."""
        return self._done.wait(timeout)

    def require(self) -> Analyzer:
        """The loaded analyzer, or ``ModelUnavailable`` (503) while loading or after failure."""
        if self._analyzer is not None:
            return self._analyzer
        if self._failure is not None:
            raise ModelUnavailable(
                "The skin model could not be loaded; the service needs attention.",
                message_zh="皮肤分析模型加载失败，服务需要维护。",
            )
        raise ModelUnavailable()
