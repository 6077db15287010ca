"""``skinlab audit list|verify``: read the append-only audit trail and check its hash chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from skinlab.cli_output import print_json
from skinlab.settings import get_settings

audit_app = typer.Typer(
    help="The audit trail: issued SKUs, model promotions, API keys, erasures.",
    no_args_is_help=True,
)
EXIT_BROKEN = 1
EXIT_INVALID = 2
# Spelled out rather than imported, so `skinlab --help` does not load SQLAlchemy; a unit test
# checks it against skinlab.audit.AuditAction.
ACTIONS = (
    "sku_issued",
    "model_promoted",
    "model_rolled_back",
    "key_created",
    "key_revoked",
    "user_erased",
    "model_promotion_started",
    "model_rollback_started",
    "photos_exported",
    "photo_key_rotated",
    "retention_purged",
)


@audit_app.command("list")
def audit_list(
    action: Annotated[
        str | None, typer.Option(help=f"Only this action: {', '.join(ACTIONS)}")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="The newest N events")] = 100,
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON array")] = False,
) -> None:
    """Audit events, oldest first (the newest --limit of them)."""
    from skinlab.audit import audit_session, list_events

    if action is not None and action not in ACTIONS:
        typer.echo(f"error: --action must be one of {', '.join(ACTIONS)}", err=True)
        raise typer.Exit(EXIT_INVALID)
    with audit_session(get_settings()) as session:
        rows: list[dict[str, Any]] = [
            {
                "id": event.id,
                "at": event.at.isoformat(),
                "actor": event.actor,
                "action": event.action,
                "subject": event.subject,
                "details": event.details,
            }
            for event in list_events(session, action=action, limit=limit)
        ]
    if json_output:
        print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"audit events ({len(rows)})")
    for column in ("id", "at", "actor", "action", "subject", "details"):
        table.add_column(column)
    for row in rows:
        details = json.dumps(row["details"], ensure_ascii=False, sort_keys=True)
        table.add_row(
            *(str(row[c] or "") for c in ("id", "at", "actor", "action", "subject")), details
        )
    Console().print(table)


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        Path | None,
        typer.Option(
            help="Also fail unless the chain still reaches this anchored head "
            "(default: SKINLAB_AUDIT_ANCHOR_FILE when that file exists)"
        ),
    ] = None,
) -> None:
    """Recompute the hash chain; exit 1 naming the first row that does not match, or when the
    chain no longer reaches --anchor (its newest rows were deleted)."""
    from skinlab.audit import audit_session, unfinished_model_changes, verify_chain
    from skinlab.audit_anchor import check_anchor, read_anchor
    from skinlab.errors import SkinlabError

    settings = get_settings()
    if anchor is None and settings.audit_anchor_file and settings.audit_anchor_file.exists():
        anchor = settings.audit_anchor_file
    with audit_session(settings) as session:
        report = verify_chain(session)
        if not report.ok:
            typer.echo(f"audit chain BROKEN at row {report.broken_at}: {report.problem}", err=True)
            raise typer.Exit(EXIT_BROKEN)
        try:
            if anchor is not None:
                check_anchor(session, read_anchor(anchor))
        except SkinlabError as exc:
            typer.echo(f"audit chain {exc.code}: {exc.message} / {exc.message_zh}", err=True)
            raise typer.Exit(EXIT_BROKEN) from exc
        unfinished = unfinished_model_changes(session)
    for event in unfinished:
        typer.echo(
            f"warning: row {event.id} ({event.action} {event.subject}, {event.at.isoformat()}) "
            "has no completion row: the command stopped between writing it and finishing; "
            "check the registry's champion (skinlab models history) / 模型变更未完成记录",
            err=True,
        )
    reached = f", reaches the anchor at row {read_anchor(anchor).id} ({anchor})" if anchor else ""
    typer.echo(f"audit chain intact: {report.rows} events{reached}")


@audit_app.command("anchor")
def audit_anchor(
    file: Annotated[
        Path | None,
        typer.Option(help="Where to write the head (default SKINLAB_AUDIT_ANCHOR_FILE)"),
    ] = None,
) -> None:
    """Save the chain's head (row id and hash) to a file outside the database; exit 1, leaving
    the file as it is, if the file holds an anchor the chain no longer reaches."""
    from skinlab.audit import audit_session
    from skinlab.audit_anchor import write_anchor
    from skinlab.db import utcnow
    from skinlab.errors import SkinlabError

    settings = get_settings()
    target = file or settings.audit_anchor_file
    if target is None:
        typer.echo("error: give --file or set SKINLAB_AUDIT_ANCHOR_FILE", err=True)
        raise typer.Exit(EXIT_INVALID)
    with audit_session(settings) as session:
        try:
            head = write_anchor(session, target, now=utcnow())
        except SkinlabError as exc:
            typer.echo(f"audit chain {exc.code}: {exc.message} / {exc.message_zh}", err=True)
            raise typer.Exit(EXIT_BROKEN) from exc
    if head is None:
        typer.echo("the audit trail is empty: nothing to anchor")
        return
    typer.echo(f"anchored row {head.id} ({head.row_hash[:16]}...) in {target}")
