"""The ``skinlab`` command: lazy imports, analyze output, exit codes and delegation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from typer.testing import CliRunner

from skinlab import __version__
from skinlab.cli import app
from skinlab.db import make_engine
from skinlab.settings import get_settings

runner = CliRunner()


@pytest.fixture
def fake_module(monkeypatch: pytest.MonkeyPatch) -> Callable[..., types.SimpleNamespace]:
    """Install a stand-in for a lazily imported module; returns the namespace to inspect."""

    def install(name: str, **attributes: Any) -> types.SimpleNamespace:
        module = types.SimpleNamespace(**attributes)
        monkeypatch.setitem(sys.modules, name, module)
        return module

    return install


@pytest.fixture
def fake_skin_analyzer(fake_module: Callable[..., Any], fake_analyzer: Any) -> Any:
    """``models.analyzer.SkinAnalyzer.load`` returns the shared fake analyzer."""
    skin_analyzer = types.SimpleNamespace(load=lambda _settings: fake_analyzer)
    fake_module("models.analyzer", SkinAnalyzer=skin_analyzer)
    return fake_analyzer


@pytest.fixture
def photo(tmp_path: Path, png_factory: Callable[..., bytes]) -> Path:
    path = tmp_path / "face.png"
    path.write_bytes(png_factory((180, 140, 120)))
    return path


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "analyze", "db", "models", "train", "bench", "version"):
        assert command in result.output


def test_help_does_not_import_the_heavy_stack() -> None:
    code = (
        "import sys; import skinlab.cli; "
        "heavy = {'fastapi', 'sqlalchemy', 'numpy', 'onnxruntime', 'uvicorn', 'alembic'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_db_upgrade_creates_the_tables(cli_env: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{cli_env / 'skinlab.db'}")
    assert {"users", "consents", "analyses"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_analyze_json_matches_the_api_body(
    cli_env: Path, fake_skin_analyzer: Any, photo: Path, api: Callable[..., TestClient]
) -> None:
    result = runner.invoke(app, ["analyze", str(photo), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    client = api()
    with photo.open("rb") as image:
        served = client.post("/analyze", data={"consent": "true"}, files={"image": image}).json()
    for identity in ("analysis_id", "created_at"):
        assert printed.pop(identity)
        served.pop(identity)
    assert printed == served


def test_analyze_prints_a_summary_table_for_people(
    cli_env: Path, fake_skin_analyzer: Any, photo: Path
) -> None:
    result = runner.invoke(app, ["analyze", str(photo)])
    assert result.exit_code == 0, result.output
    assert "redness" in result.output
    assert "skin type: normal" in result.output


def test_analyze_quality_failure_prints_the_error_json_and_exits_2(
    cli_env: Path, fake_skin_analyzer: Any, tmp_path: Path, png_factory: Callable[..., bytes]
) -> None:
    black = tmp_path / "black.png"
    black.write_bytes(png_factory((0, 0, 0)))
    result = runner.invoke(app, ["analyze", str(black), "--json"])
    assert result.exit_code == 2
    error = json.loads(result.output)["error"]
    assert error["code"] == "NO_FACE"
    assert error["message_zh"]


def test_analyze_rejects_a_file_that_is_not_an_image(
    cli_env: Path, fake_skin_analyzer: Any, tmp_path: Path
) -> None:
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("not a photo")
    result = runner.invoke(app, ["analyze", str(text_file)])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "INVALID_IMAGE"
    assert fake_skin_analyzer.calls == 0


def test_models_ensure_delegates_to_training(
    cli_env: Path, fake_module: Callable[..., Any]
) -> None:
    calls: list[Any] = []
    fake_module("training.skin", ensure_default_models=calls.append)
    result = runner.invoke(app, ["models", "ensure"])
    assert result.exit_code == 0, result.output
    assert [settings.data_dir for settings in calls] == [cli_env]


def test_train_skin_passes_its_options_and_prints_the_result(
    cli_env: Path, fake_module: Callable[..., Any], tmp_path: Path
) -> None:
    received: dict[str, Any] = {}

    def train_skin_heads(_settings: Any, **options: Any) -> dict[str, Any]:
        received.update(options)
        return {"run_id": "r1", "mae": 4.2}

    fake_module("training.skin", train_skin_heads=train_skin_heads)
    grades = tmp_path / "grades.csv"
    grades.write_text("file,concern,grade\n")
    result = runner.invoke(
        app, ["train", "skin", "--real-photos", str(tmp_path), "--grades", str(grades)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"run_id": "r1", "mae": 4.2}
    assert received == {"config": None, "real_photos": tmp_path, "grades_csv": grades}


def test_train_skin_needs_grades_with_real_photos(cli_env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "skin", "--real-photos", str(tmp_path)])
    assert result.exit_code == 2
    assert "--grades" in result.output


def test_bench_analyze_prints_the_report(cli_env: Path, fake_module: Callable[..., Any]) -> None:
    fake_module(
        "serving.bench", bench_analyze=lambda _settings, n, json_out: {"n": n, "p50_ms": 12.5}
    )
    result = runner.invoke(app, ["bench", "analyze", "--n", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"n": 3, "p50_ms": 12.5}


def test_serve_migrates_once_then_starts_the_factory(
    cli_env: Path, fake_module: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # serve sets this for its worker processes; the fixture restores it after the test, or
    # every later test in this process would read metrics from a multiprocess folder
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "")
    runs: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    fake_module("uvicorn", run=lambda *args, **kwargs: runs.append((args, kwargs)))
    result = runner.invoke(app, ["serve", "--port", "8123", "--workers", "2"])
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = runs
    assert args == ("serving.app:create_app",)
    assert kwargs["factory"] is True
    assert (kwargs["port"], kwargs["workers"]) == (8123, 2)
    assert get_settings().auto_migrate is False  # the workers will not migrate again
    assert (cli_env / "skinlab.db").exists()
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(cli_env / "prometheus")


def test_train_skin_with_a_bad_grades_file_prints_the_error_and_exits_2(tmp_path: Path) -> None:
    grades = tmp_path / "grades.csv"
    grades.write_text("name,redness\na.jpg,1\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["train", "skin", "--real-photos", str(tmp_path), "--grades", str(grades)]
    )
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "INVALID_GRADES_FILE"
