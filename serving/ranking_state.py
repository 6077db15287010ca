"""The scored user board behind ``POST /rank`` and ``GET /users/{id}/profile``.

The board is built from the event tables in ``settings.events_folder`` (what ``skinlab ingest``
or ``skinlab simulate`` wrote) and the propensity model in ``settings.models_dir/propensity``.
It is built once in the background at start-up and rebuilt on the next request after the event
files change (their names, sizes and modification times are the fingerprint); requests keep
getting the previous board until the new one is ready, so an export landing mid-day never
fails a request. A new propensity model (``serving.model_watch``, registry mode) is handed over
the same way: the board is rebuilt with it off the request path, then board and scorer are
swapped together, so a request always explains its ranking with the model that scored it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from models.propensity_scorer import PropensityScorer
from models.ranking import UserBoard, build_board
from skinlab.errors import ModelUnavailable, SkinlabError
from skinlab.settings import Settings

logger = logging.getLogger("skinlab.serving")


class EventsUnavailable(SkinlabError):
    status = 503
    code = "EVENTS_UNAVAILABLE"
    message = "No customer events are loaded, so nobody can be ranked yet."
    message_zh = "尚未导入客户行为数据，暂时无法排序。"
    hint = "Ingest the brand's event tables into the events folder (skinlab ingest ... --out)."
    hint_zh = "请先用 skinlab ingest 将品牌的行为数据导入 events 目录。"


EventsSource = Literal["simulated", "ingested"]


def describe_source(folder: Path) -> EventsSource:
    """``simulated`` when the simulator wrote the folder (its summary.json), else ``ingested``.

    Shown with every ranking so nobody mistakes the demo brand of ``make run`` for customers.
    """
    from data.simulator import SUMMARY_FILE

    return "simulated" if (folder / SUMMARY_FILE).is_file() else "ingested"


def events_fingerprint(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Every Parquet file under ``folder`` with its size and modification time."""
    if not folder.is_dir():
        return ()
    return tuple(
        sorted(
            (str(path.relative_to(folder)), path.stat().st_size, path.stat().st_mtime_ns)
            for path in folder.rglob("*.parquet")
        )
    )


Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class ScoredBoard:
    """A board with the scorer that scored it (for its reasons) and the events it was built from."""

    board: UserBoard
    scorer: PropensityScorer
    built_from: Fingerprint


class RankingState:
    """Holds the latest board, and builds a new one when the events or the model change.

    ``files_scorer`` false (registry mode) leaves the scorer to :meth:`use_scorer`: until it is
    called, building a board answers 503 ``MODEL_UNAVAILABLE``.
    """

    def __init__(self, settings: Settings, *, files_scorer: bool = True) -> None:
        self._settings = settings
        self._files_scorer = files_scorer
        self._current: ScoredBoard | None = None
        self._failure: str | None = None
        self._scorer: PropensityScorer | None = None
        self._lock = threading.Lock()
        self.source: Literal["simulated", "ingested"] = "ingested"

    @property
    def folder(self) -> Path:
        return self._settings.events_folder

    @property
    def status(self) -> str:
        if self._current is not None:
            return "ready"
        return "failed" if self._failure else "waiting"

    @property
    def loaded_scorer(self) -> PropensityScorer | None:
        """The scorer serving now, without loading one."""
        return self._scorer

    def scorer(self) -> PropensityScorer:
        if self._scorer is None:
            if not self._files_scorer:
                raise ModelUnavailable(
                    "The propensity model is still loading from the registry.",
                    message_zh="正在从模型注册表加载购卡倾向模型。",
                )
            self._scorer = PropensityScorer(self._settings.models_dir / "propensity")
        return self._scorer

    def _build(self, fingerprint: Fingerprint, scorer: PropensityScorer) -> ScoredBoard:
        from training.propensity_pipeline import load_events

        as_of: datetime | None = self._settings.rank_as_of
        board = build_board(
            load_events(self.folder),
            scorer,
            as_of=as_of,
            cooldown_days=self._settings.rank_cooldown_days,
        )
        self.source = describe_source(self.folder)
        self._current, self._failure = ScoredBoard(board, scorer, fingerprint), None
        logger.info(
            "ranking board built",
            extra={"users": len(board.frame), "as_of": board.as_of.isoformat()},
        )
        return self._current

    def use_scorer(self, scorer: PropensityScorer) -> None:
        """Serve ``scorer`` from now on: the board is rebuilt with it first, when there are
        events, while requests keep the previous board; errors leave both as they were."""
        with self._lock:
            fingerprint = events_fingerprint(self.folder)
            if fingerprint:
                self._build(fingerprint, scorer)
            self._scorer = scorer
        logger.info("propensity model swapped", extra={"model_version": scorer.version})

    def refresh(self, fingerprint: Fingerprint | None = None) -> ScoredBoard | None:
        """Rebuild if the events changed since the last build; the current board either way.

        ``fingerprint`` is the events' current one, when the caller has just taken it.
        """
        if fingerprint is None:
            fingerprint = events_fingerprint(self.folder)
        current = self._current
        if current is not None and fingerprint == current.built_from:
            return current
        if not self._lock.acquire(blocking=current is None):
            return current  # another thread is rebuilding: serve the previous board
        try:
            current = self._current
            if current is None or fingerprint != current.built_from:
                current = self._build(fingerprint, self.scorer())
        except SkinlabError as error:
            self._failure = error.message
            raise
        except Exception as error:
            self._failure = f"{type(error).__name__}: {error}"
            logger.exception("building the ranking board failed")
            raise ModelUnavailable(
                "The ranking could not be built; the service needs attention.",
                message_zh="客户排序数据生成失败，服务需要维护。",
            ) from error
        finally:
            self._lock.release()
        return current

    def build_in_background(self) -> threading.Thread | None:
        """Start the first build at start-up when there are events (errors wait for a request)."""
        if not events_fingerprint(self.folder):
            return None

        def run() -> None:
            try:
                self.refresh()
            except Exception:  # already logged; the next request reports it
                return

        thread = threading.Thread(target=run, name="skinlab-ranking-board", daemon=True)
        thread.start()
        return thread

    def require_scored(self) -> ScoredBoard:
        """The current board and its scorer, or 503 ``EVENTS_UNAVAILABLE`` without events."""
        fingerprint = events_fingerprint(self.folder)  # one look at the folder per request
        if not fingerprint:
            raise EventsUnavailable(details={"events_folder": str(self.folder)})
        scored = self.refresh(fingerprint)
        assert scored is not None  # refresh builds synchronously when there is no board yet
        return scored

    def require(self) -> UserBoard:
        """The current board, or 503 ``EVENTS_UNAVAILABLE`` when there are no events."""
        return self.require_scored().board
