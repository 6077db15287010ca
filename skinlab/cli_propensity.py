"""``skinlab simulate`` and ``skinlab ingest``: the propensity model's data layer.

Heavy imports (numpy, pyarrow, pandas) happen inside the commands so ``skinlab --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_REJECTED = 2
MAX_USERS = 10_000_000  # the simulator's limit (data.simulator.MAX_USERS)


def _print(document: object) -> None:
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def simulate_command(
    users: Annotated[int, typer.Option(min=1, max=MAX_USERS, help="Users to simulate")],
    out: Annotated[Path, typer.Option(file_okay=False, help="Folder for the Parquet tables")],
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the config's)")] = None,
    config: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Simulation YAML")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes (one block each)")] = min(
        2, os.cpu_count() or 1
    ),
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
) -> None:
    """Simulate a brand's history and write partitioned Parquet to OUT (with summary.json)."""
    from tqdm import tqdm

    from data.simulation_config import SimulationConfig
    from data.simulator import write_simulation
    from skinlab.errors import SkinlabError

    overrides = {} if seed is None else {"seed": seed}
    settings = SimulationConfig.load(config, **overrides)
    try:
        with tqdm(
            total=users,
            unit="user",
            unit_scale=True,
            file=sys.stderr,
            desc="simulate",
            disable=None,  # a bar on a terminal only, never in logs or captured output
        ) as bar:
            summary = write_simulation(settings, users, out, workers=workers, progress=bar.update)
    except SkinlabError as error:
        _print({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    if json_output:
        _print(summary)
        return
    typer.echo(f"simulated {summary['users']:,} users in {summary['seconds']} s -> {out}")
    for key, value in summary.items():
        if key not in {"users", "seconds", "rows"}:
            typer.echo(f"  {key}: {value}")


def ingest_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or Parquet")
    ],
    table: Annotated[str, typer.Option(help="Event table the file holds, e.g. orders")],
    out: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Parquet file for the valid rows")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Validate an events file row by row; write the valid rows to OUT (atomically) if given.

    Exits 0 when every row is valid, 2 when rows were rejected or the file is unusable.
    """
    from data.ingest import ingest_file
    from skinlab.errors import SkinlabError

    try:
        result = ingest_file(file, table, out)
    except SkinlabError as error:
        _print({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    report = result.report
    if json_output:
        _print(report.to_dict())
    else:
        verdict = "OK" if report.ok else "ROWS REJECTED"
        typer.echo(
            f"{report.source} -> {report.table}: {verdict}, {report.rows_valid:,} of "
            f"{report.rows_read:,} rows valid" + (f", written to {out}" if out else "")
        )
        for row in report.errors:
            typer.echo(f"  row {row.row}, {row.column}: {row.reason} ({row.value!r})")
        if report.errors_total > len(report.errors):
            typer.echo(f"  ... {report.errors_total - len(report.errors)} more")
        if report.ignored_columns:
            typer.echo(f"  ignored columns: {', '.join(report.ignored_columns)}")
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)
