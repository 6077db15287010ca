"""``skinlab stores add-key STORE_ID``: issue a key a spa's tablet signs in to the BA page with."""

from __future__ import annotations

from typing import Annotated

import typer

from skinlab.settings import get_settings

stores_app = typer.Typer(help="Spas: keys for the BA page.", no_args_is_help=True)
EXIT_INVALID = 2


@stores_app.command("add-key")
def add_key(
    store_id: Annotated[str, typer.Argument(help="Store id, e.g. sh-jingan-01")],
) -> None:
    """Create a random key for STORE_ID and print it once; only its hash is stored."""
    from skinlab.db import make_engine, make_sessionmaker, upgrade_database
    from skinlab.store_keys import add_store_key, is_valid_store_id

    if not is_valid_store_id(store_id):
        typer.echo("store id must be 1-64 letters, digits or _ . : -", err=True)
        raise typer.Exit(EXIT_INVALID)
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        if settings.auto_migrate:
            upgrade_database(settings, engine=engine)
        with make_sessionmaker(engine)() as session:
            key = add_store_key(session, store_id)
            session.commit()
    finally:
        engine.dispose()
    typer.echo(key)
    typer.echo(
        f"The key for store {store_id} above is shown only this once: give it to the spa; "
        "skinlab keeps only a hash of it.",
        err=True,
    )
