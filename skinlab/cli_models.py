"""``skinlab models ...`` (shipped models and the registry) and ``skinlab mlflow ui``.

The registry commands wrap ``training.registry``: ``list``, ``compare``, ``promote`` (gated on
the frozen evaluation set, ``--force --reason`` to override) and ``rollback``. MLflow is
imported inside the commands so ``skinlab --help`` stays fast.
"""

from __future__ import annotations

import getpass
import subprocess
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from skinlab.cli_output import print_json
from skinlab.settings import get_settings

EXIT_REJECTED = 2
MODEL_HELP = "skin-heads or propensity"

models_app = typer.Typer(help="Shipped models and the model registry.", no_args_is_help=True)
mlflow_app = typer.Typer(help="The MLflow tracking store.", no_args_is_help=True)

T = TypeVar("T")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def _run(action: Callable[[], T]) -> T:
    """Run a registry action; a domain error is printed as JSON and exits with status 2."""
    from skinlab.errors import SkinlabError

    try:
        return action()
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error


@models_app.command("ensure")
def models_ensure() -> None:
    """Check the shipped models are present; train the defaults if any is missing."""
    from training.skin import ensure_default_models

    ensure_default_models(get_settings())


@models_app.command("list")
def models_list(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Registered models, their versions and which are champion and challenger."""
    from training.registry import list_models

    models = _run(lambda: list_models(get_settings()))
    if json_output:
        print_json(models)
        return
    for model in models:
        history = " → ".join(str(v) for v in model["champion_history"]) or "none"
        typer.echo(f"{model['name']} (champions: {history})")
        if not model["versions"]:
            typer.echo("  no versions registered")
        for version in model["versions"]:
            tags = version["tags"]
            metrics = ", ".join(
                f"{k.removeprefix('metric.')} {v}"
                for k, v in tags.items()
                if k.startswith("metric.")
            )
            aliases = ",".join(version["aliases"]) or "-"
            typer.echo(
                f"  v{version['version']:<3} {aliases:<11} {version['created']}  "
                f"{tags.get('trained_on', '')}  [{metrics}]"
            )


def _cell(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


@models_app.command("compare")
def models_compare(
    model: Annotated[str, typer.Argument(help=MODEL_HELP)],
    version: Annotated[
        int | None, typer.Option(help="Version to judge (default: the challenger)")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Score champion and challenger on the same frozen evaluation set; exit 2 if it fails."""
    from training.registry import compare

    result = _run(lambda: compare(get_settings(), model, version))
    if json_output:
        print_json(result)
    else:
        frozen = result["frozen_set"]
        typer.echo(
            f"{result['model']}: champion v{result['champion']['version']} vs challenger "
            f"v{result['challenger']['version']} on frozen set {frozen['fingerprint'][:12]} "
            f"({frozen['size']:,} cases), {result['seconds']} s"
        )
        for verdict in result["gate"]:
            typer.echo(
                f"  {verdict['metric']:<22} {_cell(verdict['champion'])} -> "
                f"{_cell(verdict['challenger'])} ({verdict['delta']:+.4f}, {verdict['better']} "
                f"is better, tolerance {verdict['tolerance']:g}): "
                + ("ok" if verdict["passes"] else "WORSE")
            )
        typer.echo("gate: " + ("passes" if result["passes"] else "fails"))
    if not result["passes"]:
        raise typer.Exit(EXIT_REJECTED)


@models_app.command("promote")
def models_promote(
    model: Annotated[str, typer.Argument(help=MODEL_HELP)],
    version: Annotated[
        int | None, typer.Option(help="Version to promote (default: the challenger)")
    ] = None,
    force: Annotated[bool, typer.Option(help="Promote even if the gate fails")] = False,
    reason: Annotated[
        str | None, typer.Option(help="Why (required with --force; recorded)")
    ] = None,
    actor: Annotated[str, typer.Option(help="Who promotes (recorded)")] = "",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Make a version champion if it matches or beats the champion on the frozen set."""
    from training.registry import promote

    result = _run(
        lambda: promote(
            get_settings(), model, version, force=force, reason=reason, actor=actor or _user()
        )
    )
    if json_output:
        print_json(result)
        return
    forced = f" (FORCED: {result['reason']})" if result["forced"] else ""
    typer.echo(f"{model}: champion is now v{result['version']}, was v{result['previous']}{forced}")


@models_app.command("rollback")
def models_rollback(
    model: Annotated[str, typer.Argument(help=MODEL_HELP)],
    actor: Annotated[str, typer.Option(help="Who rolls back (recorded)")] = "",
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Move champion back to the previous champion."""
    from training.registry import rollback

    result = _run(lambda: rollback(get_settings(), model, actor=actor or _user()))
    if json_output:
        print_json(result)
        return
    typer.echo(f"{model}: champion is back to v{result['version']} (v{result['previous']} retired)")


@models_app.command("history")
def models_history(model: Annotated[str, typer.Argument(help=MODEL_HELP)]) -> None:
    """Registrations, promotions (forced ones with their reason) and rollbacks, as JSON."""
    from training.registry import history

    print_json(_run(lambda: history(get_settings(), model)))


@mlflow_app.command("ui")
def mlflow_ui(
    port: Annotated[int, typer.Option(help="TCP port")] = 5000,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
) -> None:
    """Run the MLflow UI on the local store (runs, metrics, the registry and its aliases)."""
    settings = get_settings()
    uri = settings.mlflow_tracking_uri
    if uri.startswith(("http://", "https://")):
        typer.echo(f"The tracking store is a server: open {uri}")
        return
    settings.ensure_dirs()
    artifacts = (settings.data_dir / "mlartifacts").resolve().as_uri()
    command = [
        sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri,
        "--default-artifact-root", artifacts, "--host", host, "--port", str(port),
        "--workers", "1",  # one person's browser; MLflow's default of 4 would fill a small machine
    ]  # fmt: skip
    typer.echo(f"MLflow UI for {uri} at http://{host}:{port} (Ctrl+C to stop)")
    try:
        code = subprocess.call(command)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)
