"""The ``skinlab`` command: serve the API, analyse a photo, migrate, train and benchmark.

Like ``serving``, this module sits on top of every package, so it may use any of them; it
imports them inside each command so that ``skinlab --help`` answers at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from skinlab import __version__
from skinlab.cli_audit import audit_app
from skinlab.cli_drift import drift_app
from skinlab.cli_eval import eval_app
from skinlab.cli_formulation import bench_formulate_command, catalog_app, formulate_command
from skinlab.cli_keys import keys_app
from skinlab.cli_models import mlflow_app, models_app
from skinlab.cli_output import print_json, print_progress
from skinlab.cli_photos import photos_app
from skinlab.cli_propensity import (
    ingest_command,
    score_app,
    simulate_command,
    train_propensity_command,
)
from skinlab.cli_rank import bench_rank_command, rank_command
from skinlab.cli_retention import retention_app
from skinlab.cli_stores import stores_app
from skinlab.settings import Settings, get_settings

if TYPE_CHECKING:
    from serving.schemas import AnalysisPublic

app = typer.Typer(
    name="skinlab",
    help="Personalized skincare ML service: skin test, formulation, propensity.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
train_app = typer.Typer(help="Train models.", no_args_is_help=True)
bench_app = typer.Typer(help="Measure latency and throughput.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(models_app, name="models")
app.add_typer(mlflow_app, name="mlflow")
app.add_typer(train_app, name="train")
app.add_typer(bench_app, name="bench")
app.add_typer(catalog_app, name="catalog")
app.add_typer(stores_app, name="stores")
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(photos_app, name="photos")
app.add_typer(retention_app, name="retention")
app.add_typer(score_app, name="score")
app.add_typer(drift_app, name="drift")
app.add_typer(eval_app, name="eval")
app.command("formulate")(formulate_command)
bench_app.command("formulate")(bench_formulate_command)
app.command("simulate")(simulate_command)
app.command("ingest")(ingest_command)
app.command("rank")(rank_command)
bench_app.command("rank")(bench_rank_command)
train_app.command("propensity")(train_propensity_command)

# Exit status of `skinlab analyze` when the photo cannot be analysed (bad input or quality).
EXIT_REJECTED = 2


@app.command()
def version() -> None:
    """Print the service version."""
    typer.echo(f"skinlab {__version__}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Run the HTTP API with uvicorn (app factory serving.app:create_app)."""
    import uvicorn

    from serving.logging import configure_logging
    from skinlab.db import upgrade_database

    settings = get_settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    if settings.auto_migrate:
        # Migrate once here rather than racing in every worker.
        upgrade_database(settings)
        os.environ["SKINLAB_AUTO_MIGRATE"] = "false"
        get_settings.cache_clear()
    if settings.environment == "development":
        _hint_at_keys(settings)
    if workers > 1:
        from serving.metrics import share_metrics_across_workers

        share_metrics_across_workers(settings.data_dir / "prometheus")
    uvicorn.run(
        "serving.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # our JSON logging, set up above and in create_app
        access_log=False,  # the request middleware writes one line per request
    )


def _hint_at_keys(settings: Settings) -> None:
    """Tell a developer with no active API key how to make one (every endpoint needs one)."""
    from sqlalchemy.exc import SQLAlchemyError

    from skinlab.api_keys import list_api_keys
    from skinlab.db import make_engine, make_sessionmaker

    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            has_key = bool(list_api_keys(session, include_revoked=False))
    except SQLAlchemyError:
        has_key = False  # not migrated yet: no keys either
    finally:
        engine.dispose()
    if not has_key:
        typer.echo(
            "No API key yet; every endpoint but /healthz, /readyz and /version needs one:\n"
            "    export SKINLAB_KEY=$(skinlab keys create --role admin --label dev)\n"
            '    curl -H "Authorization: Bearer $SKINLAB_KEY" ...',
            err=True,
        )


@app.command()
def analyze(
    photo: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="JPEG/PNG/WebP")
    ],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the same JSON as POST /analyze")
    ] = False,
    overlays: Annotated[bool, typer.Option(help="Include per-concern heatmaps")] = False,
) -> None:
    """Run the skin test on one photo (nothing is stored); exit 2 if it cannot be analysed."""
    from data.images import decode_image
    from data.records import new_analysis_id
    from models.analyzer import SkinAnalyzer
    from serving.schemas import analysis_json, public_analysis
    from skinlab.db import utcnow
    from skinlab.errors import SkinlabError, error_body

    settings = get_settings()
    try:
        image = decode_image(
            photo.read_bytes(),
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_image_pixels,
            min_side=settings.min_image_side,
        )
        result = SkinAnalyzer.load(settings).analyze(image.rgb, overlays=overlays)
    except SkinlabError as exc:
        print_json(error_body(exc))
        raise typer.Exit(EXIT_REJECTED if exc.status < 500 else 1) from exc
    public = public_analysis(
        result, analysis_id=new_analysis_id(), user_id=None, created_at=utcnow()
    )
    if json_output:
        print_json(analysis_json(public))
    else:
        _print_summary(public)


def _print_summary(analysis: AnalysisPublic) -> None:
    """A table of concern scores with tone and skin type, for people."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Skin test ({analysis.model_version})")
    table.add_column("concern")
    table.add_column("score", justify="right")
    table.add_column("highest region")
    for concern, score in sorted(analysis.scores.items(), key=lambda item: -item[1].score):
        worst = max(score.regions.items(), key=lambda item: item[1], default=None)
        table.add_row(
            concern, f"{score.score:.1f}", f"{worst[0]} ({worst[1]:.1f})" if worst else ""
        )
    console = Console()
    console.print(table)
    tone, skin = analysis.tone, analysis.skin_type
    console.print(
        f"tone: {tone.category} (ITA {tone.ita_deg:.1f}°, Fitzpatrick ~{tone.fitzpatrick_estimate})"
    )
    sensitive = ", sensitive" if skin.sensitive else ""
    console.print(f"skin type: {skin.type}{sensitive}")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target revision")] = "head",
) -> None:
    """Apply database migrations (the API also does this at start-up)."""
    from skinlab.db import upgrade_database

    upgrade_database(get_settings(), revision)


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("--message", "-m", help="What the change does")],
    autogenerate: Annotated[bool, typer.Option(help="Diff the tables against the DB")] = True,
) -> None:
    """Write a new migration under skinlab/migrations/versions (for developers)."""
    from skinlab.db import new_revision

    new_revision(get_settings(), message, autogenerate=autogenerate)


@train_app.command("skin")
def train_skin(
    config: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Training YAML")
    ] = None,
    real_photos: Annotated[
        Path | None, typer.Option(exists=True, file_okay=False, help="Folder of graded photos")
    ] = None,
    grades: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="CSV of expert grades")
    ] = None,
    register: Annotated[
        bool, typer.Option(help="Register the run as a challenger (champion if none)")
    ] = True,
) -> None:
    """Train the skin heads on synthetic data, plus graded real photos if given."""
    if (real_photos is None) != (grades is None):
        raise typer.BadParameter("--real-photos and --grades go together")
    from skinlab.errors import SkinlabError
    from training.skin import train_skin_heads

    try:
        manifest = train_skin_heads(
            get_settings(), config=config, real_photos=real_photos, grades_csv=grades
        )
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    if register and manifest.get("mlflow_run_id"):
        from training.registry import register_run

        manifest["registered_version"] = register_run(
            get_settings(), "skin-heads", manifest["mlflow_run_id"]
        )
    print_json(manifest)


@train_app.command("skin-seeds")
def train_skin_seeds(
    seeds: Annotated[int, typer.Option(min=1, help="Seeds to train with")] = 5,
    config: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Training YAML")
    ] = None,
) -> None:
    """Train the skin heads with several seeds on one data set and print the spread of every
    behaviour figure (the shipped heads are not touched)."""
    from training.skin_seed_spread import seed_spread

    print_json(seed_spread(get_settings(), seeds=seeds, config=config, progress=print_progress))


@bench_app.command("analyze")
def bench_analyze(
    n: Annotated[int, typer.Option(min=1, help="Photos to analyse")] = 200,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Time the analysis path end to end and report latency percentiles."""
    from serving.bench import bench_analyze as run_bench

    report = run_bench(get_settings(), n=n, json_out=json_output)
    if json_output:
        print_json(report)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"bench analyze (n={n})")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in report.items():
        table.add_row(key, f"{value:.2f}" if isinstance(value, float) else str(value))
    Console().print(table)


@bench_app.command("load")
def bench_load(
    duration: Annotated[float, typer.Option(min=1, help="Seconds of load")] = 30.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight")] = 8,
    workers: Annotated[int, typer.Option(min=1, help="skinlab serve worker processes")] = 2,
) -> None:
    """Drive a mixed analyze/formulate/rank load against `skinlab serve` on 127.0.0.1 (JSON)."""
    from serving.load_bench import bench_load as run_bench

    report = run_bench(duration_s=duration, concurrency=concurrency, workers=workers)
    print_json(report)
    if report["errors"]:
        raise typer.Exit(1)
