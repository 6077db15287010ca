"""``skinlab retention purge``: delete analyses and kept photos past their retention settings."""

from __future__ import annotations

from typing import Annotated

import typer

from skinlab.cli_output import print_json
from skinlab.settings import get_settings

retention_app = typer.Typer(
    help="Retention of personal data: analyses and kept photos.", no_args_is_help=True
)


@retention_app.command("purge")
def retention_purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would go; delete nothing")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Delete analyses older than SKINLAB_RETENTION_ANALYSES_DAYS and kept photos older than
    SKINLAB_RETENTION_RAW_PHOTOS_DAYS (and orphan photo files); the purge is audited."""
    from skinlab.audit import audit_session, cli_actor
    from skinlab.db import utcnow
    from skinlab.retention import purge_expired

    settings = get_settings()
    with audit_session(settings) as session:
        report = purge_expired(session, settings, now=utcnow(), dry_run=dry_run, actor=cli_actor())
    if json_output:
        print_json(report.to_json())
        return
    verb = "would delete" if dry_run else "deleted"
    cutoff = report.analyses_cutoff.isoformat() if report.analyses_cutoff else "no limit"
    typer.echo(
        f"{verb}: {report.analyses} analyses (before {cutoff}), {report.photos} kept photos "
        f"(before {report.photos_cutoff.isoformat()}), {report.orphan_files} orphan photo files"
    )
