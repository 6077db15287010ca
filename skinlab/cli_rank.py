"""``skinlab rank``: the EBA task list, the same ranking ``POST /rank`` answers, as CSV or Parquet.

With ``--out`` the list is written as a file (``.csv`` for spreadsheets, UTF-8 with a BOM so
Excel shows the Chinese; ``.parquet`` otherwise) and a summary is printed; without it the
command prints the same JSON as the API.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from skinlab.cli_output import print_json

EXIT_REJECTED = 2


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    """One CSV row: value dimensions as columns, segments and reasons joined with "; "."""
    return {
        "rank": record["rank"],
        "user_id": record["user_id"],
        "probability": record["probability"],
        **{f"value_{name}": score for name, score in record["value"].items()},
        "segments": "; ".join(s["code"] for s in record["segments"]),
        "segments_zh": "; ".join(s["zh"] for s in record["segments"]),
        "reasons_zh": "; ".join(f"{r['zh']}={r['value']}" for r in record["reasons"]),
        "reasons_en": "; ".join(f"{r['en']}={r['value']}" for r in record["reasons"]),
        "city": record["city"],
        "store_id": record["store_id"],
        # ISO text with its +08:00 offset: unambiguous in Excel and in Parquet alike
        "last_touch_at": None
        if record["last_touch_at"] is None
        else record["last_touch_at"].isoformat(),
    }


def write_task_list(records: list[dict[str, Any]], out: Path) -> None:
    """Write the ranked users to ``out`` (CSV or Parquet by suffix), atomically."""
    import pandas as pd
    import pyarrow as pa

    from data.ingest import write_parquet_atomic

    frame = pd.DataFrame([_flat(record) for record in records])
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        partial = out.with_name(f".{out.name}.partial")
        frame.to_csv(partial, index=False, encoding="utf-8-sig")
        partial.replace(out)
    else:
        write_parquet_atomic(pa.Table.from_pandas(frame, preserve_index=False), out)


def rank_command(
    top: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many users to list")] = 500,
    out: Annotated[
        Path | None, typer.Option(dir_okay=False, help="Write the list here (.csv or .parquet)")
    ] = None,
    events: Annotated[
        Path | None,
        typer.Option(exists=True, file_okay=False, help="Event tables (default: the settings')"),
    ] = None,
    as_of: Annotated[
        datetime | None, typer.Option(help="Score this moment (default: after the last event)")
    ] = None,
    segment: Annotated[str | None, typer.Option(help="Only this segment, e.g. koc_content")] = None,
    store: Annotated[str | None, typer.Option(help="Only users whose home store is this")] = None,
    city: Annotated[str | None, typer.Option(help="Only users in this city")] = None,
    reasons: Annotated[int, typer.Option(min=0, max=10, help="Reasons per user")] = 3,
) -> None:
    """Rank users for the monthly card; never lists card holders or recent contacts."""
    from models.propensity_scorer import PropensityScorer
    from models.ranked_users import ranked_records
    from models.ranking import RankQuery, UnknownSegment, build_board, rank_users
    from models.segments import SEGMENTS
    from skinlab.errors import SkinlabError
    from skinlab.settings import get_settings
    from training.propensity_pipeline import load_events

    settings = get_settings()
    try:
        scorer = PropensityScorer(settings.models_dir / "propensity")
        board = build_board(
            load_events(events or settings.events_folder),
            scorer,
            as_of=as_of or settings.rank_as_of,
            cooldown_days=settings.rank_cooldown_days,
        )
        ranking = rank_users(board, RankQuery(top, segment, store, city))
    except UnknownSegment as error:
        raise typer.BadParameter(f"{error}; one of: {', '.join(SEGMENTS)}") from error
    except SkinlabError as error:
        print_json({"error": error.to_dict()})
        raise typer.Exit(EXIT_REJECTED) from error
    why = (
        scorer.reasons(board.features.loc[ranking.users.index], k=reasons)
        if reasons
        else [[] for _ in range(len(ranking.users))]
    )
    records = ranked_records(ranking, why)
    summary = {
        "as_of": board.as_of,
        "model_version": board.model_version,
        "horizon_days": scorer.horizon_days,
        "candidates": ranking.candidates,
        "excluded": {**ranking.excluded, "cooldown_days": board.cooldown_days},
    }
    if out is None:
        print_json({**summary, "users": records})
        return
    write_task_list(records, out)
    print_json({**summary, "rows": len(records), "out": str(out)})


def bench_rank_command(
    users: Annotated[
        int, typer.Option(min=1000, max=10_000_000, help="Users to simulate")
    ] = 1_000_000,
    events: Annotated[
        Path | None, typer.Option(exists=True, file_okay=False, help="Use this events folder")
    ] = None,
    jobs: Annotated[int, typer.Option(min=1, help="LightGBM and onnxruntime threads")] = 2,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Time the propensity pipeline against a bare LightGBM fit and predict, with peak memory."""
    from training.propensity_bench import bench_rank

    def step(name: str) -> None:
        typer.echo(f"[bench rank] {name} ...", err=True)

    report = bench_rank(users, events=events, n_jobs=jobs, progress=step)
    if json_output:
        print_json(report)
        return
    for key, value in report.items():
        typer.echo(f"{key}: {value}")
