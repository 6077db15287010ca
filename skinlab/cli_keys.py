"""``skinlab keys create|revoke|list``: API keys for clients, each with a role.

``create`` prints the key once on stdout (and what to do with it on stderr); the database keeps
only its SHA-256. ``revoke`` takes effect on the next request, in every worker.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from skinlab.cli_output import print_json
from skinlab.roles import Role
from skinlab.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from skinlab.api_keys import ApiKeyRecord

keys_app = typer.Typer(help="API keys: one per client, with a role.", no_args_is_help=True)
EXIT_INVALID = 2


def _session() -> AbstractContextManager[Session]:
    """A session on the configured database (skinlab.audit's, imported late: --help stays fast)."""
    from skinlab.audit import audit_session

    return audit_session(get_settings())


def _audit(session: Session, action: str, key_id: str, details: dict[str, Any]) -> None:
    """Record a key's creation or revocation in the audit trail, in the same transaction."""
    from skinlab.audit import cli_actor, record_audit

    record_audit(session, action, actor=cli_actor(), subject=key_id, details=details)


def _public(record: ApiKeyRecord) -> dict[str, Any]:
    """What ``keys list`` shows of a key: everything but its hash."""
    return {
        "key_id": record.key_id,
        "role": record.role,
        "store_id": record.store_id,
        "label": record.label,
        "created_at": record.created_at.isoformat(),
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
    }


@keys_app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="Who holds the key", case_sensitive=False)],
    store: Annotated[
        str | None, typer.Option(help="The store a store key belongs to (store role only)")
    ] = None,
    label: Annotated[str, typer.Option(help="Who holds it, e.g. 'mini-program prod'")] = "",
) -> None:
    """Create a key for ROLE and print it once; only its hash is stored."""
    from skinlab.api_keys import create_api_key

    with _session() as session:
        try:
            issued = create_api_key(session, role, store_id=store, label=label)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(EXIT_INVALID) from exc
        details = {"role": str(issued.role), "store_id": issued.store_id, "label": label}
        _audit(session, "key_created", issued.key_id, details)
        session.commit()
    typer.echo(issued.key)
    scope = f" for store {issued.store_id}" if issued.store_id else ""
    typer.echo(
        f"Key {issued.key_id} ({issued.role}{scope}) is shown only this once; skinlab keeps only "
        "a hash of it. Send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'; "
        f"`skinlab keys revoke {issued.key_id}` ends it.",
        err=True,
    )


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="The key id `keys list` shows")]) -> None:
    """Revoke a key: requests with it get 401 INVALID_API_KEY from now on."""
    from skinlab.api_keys import revoke_api_key

    with _session() as session:
        record = revoke_api_key(session, key_id)
        if record is None:
            typer.echo(f"error: no key has the id {key_id!r}", err=True)
            raise typer.Exit(EXIT_INVALID)
        if session.is_modified(record):  # revoking a revoked key changes nothing to record
            _audit(session, "key_revoked", record.key_id, {"role": record.role})
        session.commit()
        assert record.revoked_at is not None
        typer.echo(f"revoked {record.key_id} ({record.role}) at {record.revoked_at.isoformat()}")


@keys_app.command("list")
def list_keys(
    json_output: Annotated[bool, typer.Option("--json", help="Print a JSON array")] = False,
    active: Annotated[bool, typer.Option("--active", help="Leave revoked keys out")] = False,
) -> None:
    """List keys (never the keys themselves, which are not stored)."""
    from skinlab.api_keys import list_api_keys

    with _session() as session:
        rows = [_public(r) for r in list_api_keys(session, include_revoked=not active)]
    if json_output:
        print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"API keys ({len(rows)})")
    for column in ("key_id", "role", "store_id", "label", "created_at", "revoked_at"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[column] or "") for column in row))
    Console().print(table)
