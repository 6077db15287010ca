"""``skinlab rank``: the EBA task list as CSV or Parquet, the same ranking as ``POST /rank``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
from skinlab.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("events")
    write_simulation(SimulationConfig.load(), 1500, folder)
    return folder


def _rank(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["rank", *args])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_csv_list_is_ranked_and_readable_in_excel(
    cli_env: Path, events: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lists" / "today.csv"
    summary = _rank("--events", str(events), "--top", "40", "--out", str(out))
    assert summary["rows"] == 40
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["rank"].tolist() == list(range(1, 41))
    assert frame["probability"].is_monotonic_decreasing
    assert frame["reasons_zh"].str.len().gt(0).all()
    assert not list(out.parent.glob(".*partial"))


def test_json_without_out_matches_the_list(cli_env: Path, events: Path, tmp_path: Path) -> None:
    printed = _rank("--events", str(events), "--top", "10")
    users = printed["users"]
    assert isinstance(users, list) and len(users) == 10
    _rank("--events", str(events), "--top", "10", "--out", str(tmp_path / "l.parquet"))
    frame = pd.read_parquet(tmp_path / "l.parquet")
    assert frame["user_id"].tolist() == [user["user_id"] for user in users]


def test_segment_filter_and_unknown_segment(cli_env: Path, events: Path) -> None:
    printed = _rank("--events", str(events), "--segment", "best_buyer", "--top", "1000")
    users = printed["users"]
    assert isinstance(users, list)
    assert all("best_buyer" in [s["code"] for s in user["segments"]] for user in users)
    result = runner.invoke(app, ["rank", "--events", str(events), "--segment", "vip"])
    assert result.exit_code == 2 and "koc_content" in result.output


def test_a_folder_without_events_is_explained(cli_env: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["rank", "--events", str(tmp_path / "empty")])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "MISSING_EVENT_TABLES"
