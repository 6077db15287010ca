"""Retention: delete analyses and kept photos older than their settings allow.

``SKINLAB_RETENTION_ANALYSES_DAYS`` (unset: no limit) removes whole analyses, their kept photo
with them; ``SKINLAB_RETENTION_RAW_PHOTOS_DAYS`` (30 by default) removes only the photo, and the
analysis forgets its path. Files under ``raw/`` that no analysis names (a crash between writing
the photo and committing the analysis, or photos of an erased user's folder) go too once they
are older than the photo limit. Consents stay: they are the record that the processing was
allowed, and go with the user (``DELETE /users/{id}``).

Every purge that is not a dry run writes one ``retention_purged`` audit row with the cutoffs and
counts, in the same transaction as the deletions; files are removed after the commit, so a crash
in between leaves only orphan files, which the next purge removes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, false, func, select, update
from sqlalchemy.orm import Session

from data.raw_photos import delete_raw_photos, stored_photo_files
from data.records import AnalysisRecord
from skinlab.audit import AuditAction, record_audit
from skinlab.settings import Settings

# An unreferenced file younger than this may be a photo whose analysis is being committed.
ORPHAN_GRACE = timedelta(hours=1)
SYSTEM_ACTOR = "system:retention"


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, as a dry run, would remove)."""

    now: datetime
    analyses_cutoff: datetime | None
    photos_cutoff: datetime
    analyses: int
    photos: int
    orphan_files: int
    dry_run: bool
    files: list[str] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready values (times in ISO 8601), without the file list."""
        body = asdict(self)
        body.pop("files")
        for key in ("now", "analyses_cutoff", "photos_cutoff"):
            body[key] = body[key].isoformat() if body[key] else None
        return body


def purge_expired(
    session: Session,
    settings: Settings,
    *,
    now: datetime,
    dry_run: bool = False,
    actor: str = SYSTEM_ACTOR,
    audit_empty: bool = True,
) -> PurgeReport:
    """Delete what the retention settings no longer allow, as of ``now``.

    Parameters
    ----------
    session : Session
        A session on the service database; committed unless ``dry_run``.
    settings : Settings
        The retention limits and the data folder.
    now : datetime
        The current time (aware); tests pass a fake clock's.
    dry_run : bool
        Count only: nothing is deleted and nothing audited.
    actor : str
        Who purges, for the audit row (``system:retention`` or ``cli:<login>``).
    audit_empty : bool
        Also audit (and commit) a purge that found nothing to remove.

    Returns
    -------
    PurgeReport
        The cutoffs and the counts of analyses, kept photos and orphan files.
    """
    analyses_cutoff = (
        now - timedelta(days=settings.retention_analyses_days)
        if settings.retention_analyses_days is not None
        else None
    )
    photos_cutoff = now - timedelta(days=settings.retention_raw_photos_days)
    # Both cutoffs lie in the past, so no analysis being written now can match them.
    expired = AnalysisRecord.created_at < analyses_cutoff if analyses_cutoff else false()
    old_photo = AnalysisRecord.raw_image_path.is_not(None) & (
        AnalysisRecord.created_at < photos_cutoff
    )
    analyses = session.scalar(select(func.count()).select_from(AnalysisRecord).where(expired))
    paths = list(
        session.scalars(
            select(AnalysisRecord.raw_image_path).where(
                old_photo | (expired & AnalysisRecord.raw_image_path.is_not(None))
            )
        )
    )
    orphans = _orphan_files(
        session, settings.data_dir, before=min(photos_cutoff, now - ORPHAN_GRACE)
    )
    report = PurgeReport(
        now=now,
        analyses_cutoff=analyses_cutoff,
        photos_cutoff=photos_cutoff,
        analyses=analyses or 0,
        photos=len(paths),
        orphan_files=len(orphans),
        dry_run=dry_run,
        files=[str(path) for path in paths] + orphans,
    )
    if dry_run or not (audit_empty or report.analyses or report.photos or report.orphan_files):
        session.rollback()
        return report
    session.execute(delete(AnalysisRecord).where(expired))
    session.execute(update(AnalysisRecord).where(old_photo).values(raw_image_path=None))
    details = {k: v for k, v in report.to_json().items() if k not in ("now", "dry_run")}
    record_audit(session, AuditAction.RETENTION_PURGED, actor=actor, details=details)
    session.commit()
    delete_raw_photos(settings.data_dir, report.files)
    return report


def _orphan_files(session: Session, data_dir: Path, *, before: datetime) -> list[str]:
    """Files under ``raw/`` that no analysis names, last written before ``before``."""
    named = set(
        session.scalars(
            select(AnalysisRecord.raw_image_path).where(AnalysisRecord.raw_image_path.is_not(None))
        )
    )
    limit = before.timestamp()
    orphans = []
    for relative in stored_photo_files(data_dir):
        try:
            written = (data_dir / relative).stat().st_mtime
        except FileNotFoundError:  # removed since it was listed
            continue
        if relative not in named and written < limit:
            orphans.append(relative)
    return orphans
