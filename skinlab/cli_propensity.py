"""``skinlab simulate``, ``skinlab ingest``, ``skinlab train propensity``, ``score propensity``.

Heavy imports (numpy, pyarrow, pandas) happen inside the commands so ``skinlab --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from contextlib import redirect_stdout
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from skinlab.cli_output import print_json

EXIT_REJECTED = 2
MAX_USERS = 10_000_000  # the simulator's limit (data.simulator.MAX_USERS)
LOCAL_SCHEDULER = "local"  # training.propensity_dask.LOCAL, without importing Dask for --help


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
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    if json_output:
        print_json(summary)
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
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    report = result.report
    if json_output:
        print_json(report.to_dict())
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


DaskScheduler = Annotated[
    str | None,
    typer.Option(
        help="Run on a Dask cluster: the scheduler's address (tcp://host:8786), or 'local' for "
        "a local cluster of two worker processes"
    ),
]
Partitions = Annotated[
    int | None,
    typer.Option(min=1, help="Hash partitions of the users (default: two per Dask worker)"),
]
SIDE_BY_SIDE = ("roc_auc", "pr_auc", "lift_top5", "lift_top10", "lift_top20", "brier", "ece")


def _summary(manifest: dict[str, object], out: Path, run_id: str | None) -> dict[str, object]:
    metrics = manifest["metrics"]
    assert isinstance(metrics, dict)
    models = {
        name: {key: values[key] for key in SIDE_BY_SIDE if key in values}
        for name, values in metrics.items()
        if name != "targets"
    }
    return {
        "task": manifest["task"],
        "trained_on": manifest["trained_on"],
        "data": manifest["data"],
        "metrics": models,
        "targets": metrics["targets"],
        "onnx_parity": manifest["onnx_parity"],
        "seconds": manifest["seconds"],
        "artifacts": str(out),
        "mlflow_run_id": run_id,
    }


def train_propensity_command(
    config: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Propensity YAML")
    ] = None,
    events: Annotated[
        Path | None, typer.Option(exists=True, file_okay=False, help="Folder of event tables")
    ] = None,
    orders: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Orders CSV/Parquet alone")
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Held-out as-of date; trains one horizon earlier"),
    ] = None,
    horizon_days: Annotated[int | None, typer.Option(min=1, max=730, help="Label horizon")] = None,
    out: Annotated[
        Path | None, typer.Option(file_okay=False, help="Artifacts folder (default: see below)")
    ] = None,
    track: Annotated[bool, typer.Option(help="Log the run to MLflow")] = True,
    register: Annotated[
        bool, typer.Option(help="Register the card model as a challenger (champion if none)")
    ] = True,
    json_output: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON")] = False,
    dask_scheduler: DaskScheduler = None,
    partitions: Partitions = None,
) -> None:
    """Train the monthly-card propensity model (or, with --orders, repurchase) and export it.

    With no data it simulates the config's brand. Artifacts go to models/artifacts/propensity
    (card task) or <data dir>/propensity-repurchase (--orders) unless --out is given. With
    --dask-scheduler it trains on a Dask cluster from an --events folder.
    """
    from pydantic import ValidationError

    from data.ingest import ingest_file
    from skinlab.errors import InvalidInput, SkinlabError
    from skinlab.settings import get_settings
    from training.propensity_config import PropensityConfig
    from training.propensity_pipeline import load_events, orders_config, run_training

    if events is not None and orders is not None:
        raise typer.BadParameter("give --events or --orders, not both")
    if orders is not None and as_of is None:
        raise typer.BadParameter("--orders needs --as-of (the held-out date)")
    if dask_scheduler is not None and events is None:
        raise typer.BadParameter("--dask-scheduler trains from an --events folder")
    settings = get_settings()
    try:
        try:
            settings_config = PropensityConfig.load(config)
            if as_of is not None or horizon_days is not None:
                settings_config = orders_config(
                    settings_config,
                    as_of.date() if as_of else settings_config.test_as_of,
                    horizon_days or settings_config.horizon_days,
                )
        except ValidationError as error:
            raise InvalidInput(
                str(error).splitlines()[0], details={"errors": str(error)}
            ) from error
        ingest = None
        if orders is not None:
            result = ingest_file(orders, "orders")
            ingest = result.report.to_dict()
            target = out or settings.data_dir / "propensity-repurchase"
            trained = run_training(
                settings_config, target, orders=result.table, trained_on=f"orders:{orders.name}"
            )
        else:
            target = out or settings.models_dir / "propensity"
            trained_on = f"events:{events.name}" if events is not None else "simulated"
            if dask_scheduler is not None and events is not None:
                from training.propensity_dask import dask_client, run_training_dask

                # LightGBM prints its Dask set-up: stdout is for the summary
                with dask_client(dask_scheduler) as client, redirect_stdout(sys.stderr):
                    trained = run_training_dask(
                        client,
                        events,
                        settings_config,
                        target,
                        partitions=partitions,
                        trained_on=trained_on,
                    )
            else:
                tables = load_events(events) if events is not None else None
                trained = run_training(
                    settings_config, target, events=tables, trained_on=trained_on
                )
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    run_id = None
    if track:
        from training.propensity_tracking import log_propensity_run

        run_id = log_propensity_run(settings, trained, target)
    summary = _summary(trained.manifest, target, run_id)
    if register and run_id is not None and trained.manifest["task"] == "card":
        from training.registry import register_run

        summary["registered_version"] = register_run(settings, "propensity", run_id)
    if ingest is not None:
        summary["ingest"] = {k: ingest[k] for k in ("rows_read", "rows_valid", "rows_rejected")}
    if json_output:
        print_json(summary)
        return
    typer.echo(f"propensity ({summary['task']}) trained on {summary['trained_on']} -> {target}")
    for name, values in summary["metrics"].items():  # type: ignore[attr-defined]
        cells = ", ".join(f"{k} {v:.3f}" for k, v in values.items())
        typer.echo(f"  {name}: {cells}")
    for name, check in summary["targets"].items():  # type: ignore[attr-defined]
        typer.echo(
            f"  target {name}: {check['measured']} ({check['target']}) "
            + ("met" if check["met"] else "NOT MET")
        )


score_app = typer.Typer(help="Score users with a trained model.", no_args_is_help=True)


@score_app.command("propensity")
def score_propensity_command(
    events: Annotated[
        Path, typer.Option(exists=True, file_okay=False, help="Folder of event tables")
    ],
    as_of: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="Score with events before this day")
    ],
    out: Annotated[Path, typer.Option(file_okay=False, help="Folder for the Parquet scores")],
    model: Annotated[
        Path | None,
        typer.Option(exists=True, file_okay=False, help="Model folder (default: the shipped one)"),
    ] = None,
    dask_scheduler: DaskScheduler = LOCAL_SCHEDULER,
    partitions: Partitions = None,
) -> None:
    """Score every user known before AS_OF with the propensity model, one Parquet file per
    partition in OUT (user_id, probability, raw_probability, card_holder).

    Prints the summary (rows, partitions, seconds) as JSON; OUT/_summary.json keeps it.
    """
    from skinlab.errors import SkinlabError
    from skinlab.settings import get_settings
    from training.propensity_dask import dask_client, score_users_dask

    artifacts = model or get_settings().models_dir / "propensity"
    try:
        with dask_client(dask_scheduler or LOCAL_SCHEDULER) as client, redirect_stdout(sys.stderr):
            summary = score_users_dask(
                client, events, artifacts, as_of.date(), out, partitions=partitions
            )
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    print_json(summary)
