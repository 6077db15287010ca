"""Anchoring the audit chain outside the database, so deleting its newest rows is detected.

The hash chain (``skinlab.audit``) finds an edited or removed row in the middle, but someone
who drops the triggers can delete the newest rows and leave a shorter chain that still
verifies. An anchor is the chain's head, ``{"id", "row_hash", "at"}``, written to a file
outside the database (``SKINLAB_AUDIT_ANCHOR_FILE``; best on another host or write-once
storage) by ``skinlab audit anchor`` and by the server every ``SKINLAB_AUDIT_ANCHOR_HOURS``.
``skinlab audit verify --anchor FILE`` then fails unless the chain still holds that row with
that hash: since every row's hash covers the one before, the whole prefix up to it is intact.

An anchor never moves backwards or sideways: writing one over an anchor the database no longer
reaches is refused, so the evidence of a truncation is not overwritten by the next head.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from skinlab.audit import AuditEvent
from skinlab.errors import SkinlabError


class AnchorUnreadable(SkinlabError):
    status = 500
    code = "AUDIT_ANCHOR_UNREADABLE"
    message = "The audit anchor file is missing or not an anchor."
    message_zh = "审计锚点文件缺失或格式无效。"


class AnchorMismatch(SkinlabError):
    status = 500
    code = "AUDIT_ANCHOR_MISMATCH"
    message = "The audit trail no longer reaches its anchored head: rows were removed or changed."
    message_zh = "审计记录已无法对上锚定的链头：有记录被删除或修改。"


@dataclass(frozen=True)
class Anchor:
    """The chain head at one moment: the newest row's id and hash, and when it was anchored."""

    id: int
    row_hash: str
    at: str
    anchored_at: str


def chain_head(session: Session, *, now: datetime) -> Anchor | None:
    """The newest audit row as an anchor taken at ``now``; None while the trail is empty."""
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    if event is None:
        return None
    return Anchor(event.id, event.row_hash, event.at.isoformat(), now.isoformat())


def read_anchor(path: Path) -> Anchor:
    """Read an anchor file; raise ``AnchorUnreadable`` if it is missing or malformed."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        anchor = Anchor(
            int(body["id"]), str(body["row_hash"]), str(body["at"]), str(body["anchored_at"])
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AnchorUnreadable(details={"file": str(path), "reason": str(exc)}) from exc
    if len(anchor.row_hash) != 64:
        raise AnchorUnreadable(details={"file": str(path), "reason": "row_hash is not sha256"})
    return anchor


def check_anchor(session: Session, anchor: Anchor) -> None:
    """Raise ``AnchorMismatch`` unless the trail still holds the anchored row, unchanged.

    Only the anchored row is compared; ``verify_chain`` proves the rows before it.
    """
    event = session.get(AuditEvent, anchor.id)
    if event is None:
        last = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
        if last < anchor.id:
            message = f"The audit trail ends at row {last}, before the anchored row {anchor.id}"
            message_zh = f"审计记录止于第 {last} 行，早于锚定的第 {anchor.id} 行"
        else:  # PostgreSQL does not reuse ids: rows were cut and others written after
            message = f"The anchored audit row {anchor.id} is gone (the trail ends at row {last})"
            message_zh = f"锚定的第 {anchor.id} 行审计记录已不存在（记录止于第 {last} 行）"
        raise AnchorMismatch(
            f"{message} (anchored {anchor.anchored_at}): its newest rows were deleted.",
            message_zh=f"{message_zh}：最新的记录被删除。",
            details={"anchored_id": anchor.id, "last_id": last},
        )
    if event.row_hash != anchor.row_hash:
        raise AnchorMismatch(
            f"Audit row {anchor.id} is not the row anchored {anchor.anchored_at}: the trail "
            "was cut and written again from there.",
            message_zh=f"第 {anchor.id} 行审计记录与锚定时不同：记录被截断后重写。",
            details={"anchored_id": anchor.id},
        )


def write_anchor(session: Session, path: Path, *, now: datetime) -> Anchor | None:
    """Write the current head to ``path`` (atomically); None, and nothing written, if empty.

    Raises
    ------
    AnchorMismatch
        When ``path`` already holds an anchor the trail no longer reaches; the file is left
        as it is, as evidence.
    """
    if path.exists():
        check_anchor(session, read_anchor(path))
    head = chain_head(session, now=now)
    if head is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(asdict(head), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return head
