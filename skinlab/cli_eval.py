"""``skinlab eval skin``: the shipped skin heads on a group of faces, each figure vs its target."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from skinlab.cli_output import print_json, print_progress
from skinlab.settings import get_settings

eval_app = typer.Typer(help="Evaluate the shipped models on faces set aside.", no_args_is_help=True)
EXIT_INVALID = 2
# Report keys and table headings, in the order of the README's behaviour table.
COLUMNS = (
    ("spearman", "ρ pooled"),
    ("spearman_within_face", "ρ within face"),
    ("spearman_within_person", "ρ within person"),
    ("tone_gap", "tone gap"),
    ("capture_max_delta", "max Δ capture"),
)


@eval_app.command("skin")
def eval_skin(
    photos: Annotated[
        str, typer.Option(help="use group in data/faces/SOURCES.yaml: swept and capture-checked")
    ] = "synthetic-validation",
    capture: Annotated[
        str | None,
        typer.Option(help="use group for the capture changes instead (default: --photos)"),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the whole report as JSON (every capture change)")
    ] = False,
) -> None:
    """Score the shipped skin heads on a group of faces; every figure with its verdict."""
    from skinlab.errors import SkinlabError
    from training.skin_validation import validate_skin

    try:
        report = validate_skin(
            get_settings(), group=photos, capture_group=capture, progress=print_progress
        )
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_INVALID) from error
    if json_output:
        print_json(report)
    else:
        _print_table(report)


def _cell(name: str, figure: Any) -> str:
    """A figure as text (tone gap in %, capture in points), marked ✗ where it misses its target."""
    value = figure["value"] if isinstance(figure, dict) else figure
    text = {"tone_gap": f"{value * 100:.0f} %", "capture_max_delta": f"{value:.1f}"}.get(
        name, f"{value:.3f}"
    )
    missed = isinstance(figure, dict) and figure["verdict"] != "met"
    return f"{text} ✗" if missed else text


def _print_table(report: dict[str, Any]) -> None:
    """The figures per concern for people; ✗ marks a target not met."""
    from rich.console import Console
    from rich.table import Table

    group = report["photos"]["group"]
    table = Table(title=f"skin heads {report['heads_version']} on {group}")
    table.add_column("concern")
    for _, heading in COLUMNS:
        table.add_column(heading, justify="right")
    for concern, row in report["concerns"].items():
        table.add_row(concern, *(_cell(key, row[key]) for key, _ in COLUMNS))
    console = Console()
    console.print(table)
    console.print(f"photos: {', '.join(report['photos']['sweep'])}")
    console.print(f"capture changes on: {', '.join(report['photos']['capture'])}")
    console.print(f"targets met: {report['targets_met']} of {report['targets_total']}")
