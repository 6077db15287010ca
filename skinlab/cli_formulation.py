"""``skinlab catalog ...``, ``skinlab formulate`` and ``skinlab bench formulate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from skinlab.cli_output import print_json
from skinlab.errors import InvalidInput, SkinlabError
from skinlab.settings import get_settings

catalog_app = typer.Typer(help="The formulation catalog.", no_args_is_help=True)
EXIT_REJECTED = 2
EXIT_INVALID_CATALOG = 1


@catalog_app.command("validate")
def catalog_validate(
    folder: Annotated[
        Path | None, typer.Argument(exists=True, file_okay=False, help="Catalog folder")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Check schema, units, sums and every limit; exit 1 on errors."""
    from formulations.catalog import load_catalog
    from formulations.validate import validate_catalog

    try:
        report = validate_catalog(load_catalog(folder or get_settings().catalog_dir))
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_INVALID_CATALOG) from error
    if json_output:
        print_json(report.to_dict())
    else:
        typer.echo(f"catalog {report.catalog_version}: {'OK' if report.ok else 'INVALID'}")
        typer.echo("  " + ", ".join(f"{k} {v}" for k, v in report.counts.items()))
        for line in report.errors:
            typer.echo(f"  ERROR   {line}")
        for line in report.warnings:
            typer.echo(f"  warning {line}")
        typer.echo(f"  {len(report.dropped_modules)} proposed modules dropped by the rules")
    if not report.ok:
        raise typer.Exit(EXIT_INVALID_CATALOG)


@catalog_app.command("diff")
def catalog_diff(
    old: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Old catalog folder")],
    new: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="New catalog folder")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the diff as JSON")] = False,
) -> None:
    """Show what changed between two catalog folders."""
    from formulations.catalog import load_catalog
    from formulations.diff import diff_catalogs, summarise

    try:
        diff = diff_catalogs(load_catalog(old), load_catalog(new))
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_INVALID_CATALOG) from error
    if json_output:
        print_json(diff)
    else:
        typer.echo("\n".join(summarise(diff)))


def formulate_command(
    needs: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="Needs JSON file")],
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
) -> None:
    """Solve and issue a formula for the needs in FILE; prints what POST /formulate returns."""
    from pydantic import ValidationError

    from formulations.catalog import load_catalog
    from formulations.issue import issue_formula
    from formulations.needs import FormulationNeeds
    from formulations.problem import FormulationPolicy
    from serving.schemas import formulate_response
    from skinlab.audit import cli_actor
    from skinlab.db import make_engine, make_sessionmaker, upgrade_database

    settings = get_settings()
    try:
        try:
            request = FormulationNeeds.model_validate(json.loads(needs.read_text("utf-8")))
        except (ValueError, ValidationError) as exc:
            errors = exc.errors(include_url=False) if isinstance(exc, ValidationError) else []
            raise InvalidInput(
                f"{needs} is not valid needs JSON: {exc}".splitlines()[0],
                message_zh="需求文件格式无效。",
                details={"errors": json.loads(json.dumps(errors, default=str))},
            ) from exc
        if settings.auto_migrate:
            upgrade_database(settings)
        engine = make_engine(settings.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                issued = issue_formula(
                    session,
                    load_catalog(settings.catalog_dir),
                    request,
                    FormulationPolicy.from_settings(settings),
                    source="cli",
                    actor=cli_actor(),
                )
        finally:
            engine.dispose()
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    body = formulate_response(issued).model_dump(mode="json")
    if json_output:
        print_json(body)
        return
    formula = body["formula"]
    typer.echo(f"SKU {body['sku']} ({'new' if body['new_sku'] else 'existing'})")
    typer.echo(f"{formula['base']['name_zh']} / {formula['base']['name']}, pH {formula['ph']}")
    for module in formula["modules"]:
        typer.echo(f"  + {module['name_zh']}  {module['inclusion_pct']}%")
    typer.echo(f"INCI: {formula['label_inci']}")


def bench_formulate_command(
    n: Annotated[int, typer.Option(min=1, help="Random requests to solve")] = 1000,
    regret_sample: Annotated[int, typer.Option(min=0, help="Requests re-solved unpruned")] = 100,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Time /formulate's engine on the full catalog; count checker violations."""
    from formulations.bench import bench_formulate
    from formulations.catalog import load_catalog
    from formulations.problem import FormulationPolicy

    settings = get_settings()
    report = bench_formulate(
        load_catalog(settings.catalog_dir),
        FormulationPolicy.from_settings(settings),
        n=n,
        regret_sample=regret_sample,
    )
    if json_output:
        print_json(report)
        return
    for key, value in report.items():
        typer.echo(f"{key}: {value}")
