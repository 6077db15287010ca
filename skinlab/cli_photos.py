"""``skinlab photos export|rotate-key``: read kept photos back, re-seal them under a new key.

Kept photos are sealed on disk (``skinlab.photo_crypto``); this is the one way to read them:
an operator with shell access and the key exports one user's photos as JPEGs, and the export
is written to the audit trail (under a keyed hash of the user id) before any file is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from skinlab.cli_output import print_json
from skinlab.settings import get_settings

photos_app = typer.Typer(
    help="Kept face photos (encrypted at rest): export one user's, rotate the key.",
    no_args_is_help=True,
)
EXIT_FAILED = 1
EXIT_INVALID = 2


@photos_app.command("export")
def photos_export(
    user_id: Annotated[str, typer.Argument(help="The pseudonymous user id")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write <analysis id>.jpg into")],
    actor: Annotated[
        str | None, typer.Option(help="Who exports, for the audit trail (default cli:<login>)")
    ] = None,
) -> None:
    """Decrypt USER_ID's kept photos into --out (owner-only files); the export is audited."""
    from sqlalchemy import select

    from data.raw_photos import read_raw_photo
    from data.records import AnalysisRecord, is_valid_user_id
    from skinlab.audit import AuditAction, audit_session, cli_actor, record_audit, user_subject
    from skinlab.errors import SkinlabError
    from skinlab.photo_crypto import PhotoKeyring

    if not is_valid_user_id(user_id):
        typer.echo("error: not a valid user id / 用户编号无效", err=True)
        raise typer.Exit(EXIT_INVALID)
    settings = get_settings()
    with audit_session(settings) as session:
        rows = session.execute(
            select(AnalysisRecord.id, AnalysisRecord.raw_image_path)
            .where(AnalysisRecord.user_id == user_id, AnalysisRecord.raw_image_path.is_not(None))
            .order_by(AnalysisRecord.created_at)
        ).all()
        if not rows:
            typer.echo(f"no kept photos for {user_id} / 该用户没有保存的照片", err=True)
            raise typer.Exit(EXIT_FAILED)
        try:
            keyring = PhotoKeyring.from_settings(settings)
            photos = {
                analysis_id: read_raw_photo(settings.data_dir, str(path), keyring)
                for analysis_id, path in rows
            }
        except SkinlabError as exc:
            typer.echo(
                f"error: {exc.code}: {exc.message} / {exc.message_zh} {exc.details}", err=True
            )
            raise typer.Exit(EXIT_FAILED) from exc
        except FileNotFoundError as exc:
            typer.echo(f"error: a kept photo file is missing / 照片文件缺失: {exc}", err=True)
            raise typer.Exit(EXIT_FAILED) from exc
        record_audit(
            session,
            AuditAction.PHOTOS_EXPORTED,
            actor=actor or cli_actor(),
            subject=user_subject(settings, user_id),
            details={"photos": len(photos)},
        )
        session.commit()
    out.mkdir(parents=True, exist_ok=True)
    for analysis_id, jpeg in photos.items():
        _write_private(out / f"{analysis_id}.jpg", jpeg)
    typer.echo(f"{len(photos)} photos written to {out}")


@photos_app.command("rotate-key")
def photos_rotate_key(
    json_output: Annotated[bool, typer.Option("--json", help="Print the counts as JSON")] = False,
) -> None:
    """Re-seal every kept photo under SKINLAB_PHOTO_KEY (old keys from SKINLAB_PHOTO_OLD_KEYS);
    plain JPEGs from before encryption are sealed too. Exit 1 if any file could not be opened."""
    from data.raw_photos import reseal_raw_photo, stored_photo_files
    from skinlab.audit import AuditAction, audit_session, cli_actor, record_audit
    from skinlab.errors import SkinlabError
    from skinlab.photo_crypto import PhotoKeyring

    settings = get_settings()
    try:
        keyring = PhotoKeyring.from_settings(settings)
    except SkinlabError as exc:
        typer.echo(f"error: {exc.message} / {exc.message_zh}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    counts = {"resealed": 0, "current": 0, "failed": 0}
    failed: list[str] = []
    for relative in stored_photo_files(settings.data_dir):
        if relative.endswith(".partial"):
            continue  # a write cut short; retention removes it
        try:
            counts[
                "resealed" if reseal_raw_photo(settings.data_dir, relative, keyring) else "current"
            ] += 1
        except SkinlabError:
            counts["failed"] += 1
            failed.append(relative)
    report = {"key_id": keyring.current_id, **counts}
    with audit_session(settings) as session:
        record_audit(session, AuditAction.PHOTO_KEY_ROTATED, actor=cli_actor(), details=report)
        session.commit()
    if json_output:
        print_json({**report, "failed_files": failed})
    else:
        typer.echo(
            f"key {report['key_id']}: {counts['resealed']} re-sealed, {counts['current']} "
            f"already current, {counts['failed']} could not be opened"
        )
        for relative in failed:
            typer.echo(f"  cannot open: {relative}", err=True)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (a decrypted face photo)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
