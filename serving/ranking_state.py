"""The scored user board behind ``POST /rank`` and ``GET /users/{id}/profile``.

The board is built from the event tables in ``settings.events_folder`` (what ``skinlab ingest``
or ``skinlab simulate`` wrote) and the propensity model in ``settings.models_dir/propensity``.
It is built once in the background at start-up and rebuilt on the next request after the event
files change (their names, sizes and modification times are the fingerprint); requests keep
getting the previous board until the new one is ready, so an export landing mid-day never
fails a request.
"""

from __future__ import annotations

import logging
import threading
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


class RankingState:
    """Holds the latest board, and builds a new one when the events change."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._board: UserBoard | None = None
        self._built_from: tuple[tuple[str, int, int], ...] | None = None
        self._failure: str | None = None
        self._scorer: PropensityScorer | None = None
        self._lock = threading.Lock()
        self.source: Literal["simulated", "ingested"] = "ingested"

    @property
    def folder(self) -> Path:
        return self._settings.events_folder

    @property
    def status(self) -> str:
        if self._board is not None:
            return "ready"
        return "failed" if self._failure else "waiting"

    def scorer(self) -> PropensityScorer:
        if self._scorer is None:
            self._scorer = PropensityScorer(self._settings.models_dir / "propensity")
        return self._scorer

    def _build(self, fingerprint: tuple[tuple[str, int, int], ...]) -> UserBoard:
        from training.propensity_pipeline import load_events

        as_of: datetime | None = self._settings.rank_as_of
        board = build_board(
            load_events(self.folder),
            self.scorer(),
            as_of=as_of,
            cooldown_days=self._settings.rank_cooldown_days,
        )
        self.source = describe_source(self.folder)
        self._board, self._built_from, self._failure = board, fingerprint, None
        logger.info(
            "ranking board built",
            extra={"users": len(board.frame), "as_of": board.as_of.isoformat()},
        )
        return board

    def refresh(self) -> UserBoard | None:
        """Rebuild if the events changed since the last build; the current board either way."""
        fingerprint = events_fingerprint(self.folder)
        if fingerprint == self._built_from:
            return self._board
        if not self._lock.acquire(blocking=self._board is None):
            return self._board  # another request is rebuilding: serve the previous board
        try:
            if fingerprint != self._built_from:
                self._build(fingerprint)
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
        return self._board

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

    def require(self) -> UserBoard:
        """The current board, or 503 ``EVENTS_UNAVAILABLE`` when there are no events."""
        if not events_fingerprint(self.folder):
            raise EventsUnavailable(details={"events_folder": str(self.folder)})
        board = self.refresh()
        assert board is not None  # refresh builds synchronously when there is no board yet
        return board
