"""``skinlab drift``: how far recent inputs and scores have moved from a model's training data.

``skinlab drift report MODEL`` compares the recent data (stored analyses for ``skin-heads``, the
scoring board over the event tables for ``propensity``) with the reference saved beside the
model, and writes an HTML page (``--out report.html``) or JSON (``--json``, or ``--out x.json``).
``skinlab drift reference MODEL`` rebuilds the reference of the shipped model.
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from skinlab.cli_output import print_json

EXIT_REJECTED = 2
DEFAULT_SINCE_DAYS = 30.0

drift_app = typer.Typer(help="Drift of inputs and scores against the training data.")


class DriftModel(StrEnum):
    skin_heads = "skin-heads"
    propensity = "propensity"


def _summary(report: dict[str, Any], seconds: float) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"drift {report['model']} {report['model_version']}")
    for column in ("variable", "PSI", "rating", "KS"):
        table.add_column(column, justify="left" if column == "variable" else "right")
    shown = [r for r in report["variables"] if r["kind"] == "score" or r["rating"] != "stable"]
    for row in shown:
        psi, ks = row["psi"], row.get("ks")
        table.add_row(
            row["name"],
            "-" if psi is None else f"{psi:.3f}",
            row["rating"],
            "-" if ks is None else f"{ks:.3f}",
        )
    console = Console()
    console.print(table)
    for warning in report.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    console.print(f"{report['summary']} in {seconds:.1f} s (stable features not listed)")


@drift_app.command("report")
def report_command(
    model: Annotated[DriftModel, typer.Argument(help="skin-heads or propensity")],
    since: Annotated[
        float | None,
        typer.Option(
            min=0.0, metavar="DAYS", help="skin-heads: analyses of the last DAYS days (default 30)"
        ),
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option(
            exists=True, file_okay=False, metavar="DIR", help="propensity: event tables folder"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Write the report here (.html or .json)")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Compare recent inputs and scores with the training data (PSI per variable, KS on scores)."""
    from skinlab.errors import SkinlabError
    from skinlab.settings import get_settings
    from training._drift_html import render_html

    if model is DriftModel.skin_heads and events is not None:
        raise typer.BadParameter("--events goes with propensity (skin-heads reads the analyses)")
    if model is DriftModel.propensity and since is not None:
        raise typer.BadParameter(
            "--since goes with skin-heads (propensity scores the board at the end of the events)"
        )
    settings = get_settings()
    started = time.perf_counter()
    try:
        if model is DriftModel.skin_heads:
            from training.drift_skin import skin_heads_drift

            report = skin_heads_drift(settings, DEFAULT_SINCE_DAYS if since is None else since)
        else:
            from training.drift_propensity import propensity_drift
            from training.propensity_pipeline import load_events

            folder = events or settings.events_folder
            report = propensity_drift(
                settings.models_dir / "propensity", load_events(folder), str(folder)
            )
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    seconds = time.perf_counter() - started
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".json":
            text = json.dumps(report, ensure_ascii=False, indent=1)
        else:
            text = render_html(report)
        out.write_text(text, encoding="utf-8")
    if json_output:
        print_json(report)
    else:
        _summary(report, seconds)
        if out is not None:
            typer.echo(f"wrote {out}")


@drift_app.command("reference")
def reference_command(
    model: Annotated[DriftModel, typer.Argument(help="skin-heads or propensity")],
    samples: Annotated[
        int, typer.Option(min=8, help="skin-heads: synthetic training samples to render")
    ] = 200,
) -> None:
    """Rebuild the training reference of the shipped model from its (synthetic) training data."""
    from skinlab.errors import SkinlabError
    from skinlab.settings import get_settings

    settings = get_settings()
    started = time.perf_counter()
    try:
        if model is DriftModel.skin_heads:
            from models.analyzer import HEADS_DIR
            from training.drift_skin import shipped_reference as skin_reference

            folder = settings.models_dir / HEADS_DIR
            reference = skin_reference(settings, samples)
        else:
            from training.drift_propensity import shipped_reference

            folder = settings.models_dir / "propensity"
            reference = shipped_reference(folder)
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    path = reference.save(folder)
    print_json(
        {
            "model": reference.model,
            "model_version": reference.model_version,
            "source": reference.source,
            "details": reference.details,
            "variables": len(reference.variables),
            "out": str(path),
            "seconds": round(time.perf_counter() - started, 1),
        }
    )
