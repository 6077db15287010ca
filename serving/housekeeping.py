"""Periodic work of a running server: the retention purge and the audit anchor.

Each job runs on its own daemon thread, once at start-up and then every interval, until the
app stops. A failing run is logged and retried at the next interval. With ``--workers N`` every
worker runs the jobs: purges are idempotent, and an anchor only moves forwards.

The server's purge writes an audit row only when it removed something, so idle workers do not
fill the trail with empty purges (``skinlab retention purge`` records every run).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from skinlab.audit_anchor import write_anchor
from skinlab.db import utcnow
from skinlab.retention import purge_expired
from skinlab.settings import Settings

logger = logging.getLogger("skinlab.serving")
Clock = Callable[[], datetime]


class PeriodicJob:
    """Call ``action`` on a daemon thread at start and every ``interval_s`` until stopped."""

    def __init__(self, name: str, interval_s: float, action: Callable[[], object]) -> None:
        self.name = name
        self.interval_s = interval_s
        self.action = action
        self.runs = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        """Run the action now; log, count and swallow its failure."""
        try:
            self.action()
        except Exception:
            self.failures += 1
            logger.exception(
                "housekeeping job %s failed; retrying in %.0f s", self.name, self.interval_s
            )
        finally:
            self.runs += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"skinlab-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        self.run_once()
        while not self._stop.wait(self.interval_s):
            self.run_once()


def housekeeping_jobs(
    settings: Settings, sessions: sessionmaker[Session], *, clock: Clock = utcnow
) -> list[PeriodicJob]:
    """The jobs ``settings`` asks for: a retention purge every ``retention_purge_hours``, an
    audit anchor every ``audit_anchor_hours`` when ``audit_anchor_file`` is set (0: off)."""
    jobs = []
    if settings.retention_purge_hours > 0:

        def purge() -> None:
            with sessions() as session:
                report = purge_expired(session, settings, now=clock(), audit_empty=False)
            if report.analyses or report.photos or report.orphan_files:
                logger.info("retention purge", extra={"retention": report.to_json()})

        jobs.append(PeriodicJob("retention", settings.retention_purge_hours * 3600, purge))
    anchor_file = settings.audit_anchor_file
    if anchor_file is not None and settings.audit_anchor_hours > 0:

        def anchor() -> None:
            with sessions() as session:
                write_anchor(session, anchor_file, now=clock())

        jobs.append(PeriodicJob("audit-anchor", settings.audit_anchor_hours * 3600, anchor))
    return jobs
