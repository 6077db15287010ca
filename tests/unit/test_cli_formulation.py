"""``skinlab formulate`` and ``skinlab catalog validate|diff``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from formulations.catalog import CATALOG_DIR
from skinlab.cli import app

runner = CliRunner()
NEEDS = {"scores": {"spots": 60.0, "redness": 30.0}, "skin_type": "dry"}


@pytest.fixture
def needs_file(tmp_path: Path) -> Callable[[Any], Path]:
    """Write ``document`` (JSON-encoded unless it is already text) to a needs file."""

    def write(document: Any) -> Path:
        path = tmp_path / "needs.json"
        text = document if isinstance(document, str) else json.dumps(document)
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Callable[..., Path]:
    """Copy the shipped catalog to ``name``, replacing ``old`` by ``new`` after ``after``."""

    def make(name: str, old: str = "", new: str = "", after: str = "") -> Path:
        folder = tmp_path / name
        shutil.copytree(CATALOG_DIR, folder)
        if old:
            path = folder / "ingredients_actives.yaml"
            text = path.read_text(encoding="utf-8")
            at = text.index(old, text.index(after) if after else 0)
            path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
        return folder

    return make


def test_formulate_json_matches_the_api(
    cli_env: Path, needs_file: Callable[[Any], Path], api: Callable[..., TestClient]
) -> None:
    result = runner.invoke(app, ["formulate", "--needs", str(needs_file(NEEDS)), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    served = api().post("/formulate", json=NEEDS)
    assert served.status_code == 201, served.text
    assert printed["sku"] == served.json()["sku"]
    assert printed["new_sku"] is True
    assert printed["formula"]["label_inci"] == served.json()["formula"]["label_inci"]


def test_formulate_twice_reuses_the_sku_and_prints_a_summary(
    cli_env: Path, needs_file: Callable[[Any], Path]
) -> None:
    path = needs_file(NEEDS)
    first = runner.invoke(app, ["formulate", "--needs", str(path), "--json"])
    assert first.exit_code == 0, first.output
    sku = json.loads(first.stdout)["sku"]
    second = runner.invoke(app, ["formulate", "--needs", str(path)])
    assert second.exit_code == 0, second.output
    assert f"SKU {sku} (existing)" in second.output
    assert "INCI: " in second.output


@pytest.mark.parametrize(
    ("document", "code"),
    [
        ("{not json", "INVALID_INPUT"),
        ({"scores": {"spots": 101}}, "INVALID_INPUT"),
        ({**NEEDS, "colour": "blue"}, "INVALID_INPUT"),
        ({**NEEDS, "include": [{"ingredient": "unobtainium"}]}, "UNKNOWN_INGREDIENT"),
        ({**NEEDS, "include": [{"ingredient": "hydroquinone"}]}, "PROHIBITED_INGREDIENT"),
        ({**NEEDS, "base_id": "no_such_base"}, "UNKNOWN_BASE"),
    ],
    ids=["not_json", "score_over_100", "extra_field", "unknown", "prohibited", "unknown_base"],
)
def test_bad_needs_exit_2_with_the_error_json(
    cli_env: Path, needs_file: Callable[[Any], Path], document: Any, code: str
) -> None:
    result = runner.invoke(app, ["formulate", "--needs", str(needs_file(document)), "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"] == code
    assert error["message"]


def test_catalog_validate_passes_the_shipped_catalog(cli_env: Path) -> None:
    result = runner.invoke(app, ["catalog", "validate"])
    assert result.exit_code == 0, result.output
    assert ": OK" in result.output
    as_json = runner.invoke(app, ["catalog", "validate", "--json"])
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert report["ok"] is True
    assert report["errors"] == []
    assert report["counts"]["modules"] >= 1000


def test_catalog_validate_refuses_a_corrupted_copy(
    cli_env: Path, catalog_copy: Callable[..., Path]
) -> None:
    broken = catalog_copy("broken", "cost_per_kg_rmb: 150", "cost_per_kg_rmb: -1")
    result = runner.invoke(app, ["catalog", "validate", str(broken)])
    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["error"]["code"] == "CATALOG_INVALID"


def test_catalog_validate_reports_rule_errors_in_a_loadable_copy(
    cli_env: Path, catalog_copy: Callable[..., Path]
) -> None:
    dangling = catalog_copy(
        "dangling",
        "incompatible_with: []",
        "incompatible_with: [{id: no_such_ingredient, reason: a dangling reference}]",
        after="- id: niacinamide\n",
    )
    result = runner.invoke(app, ["catalog", "validate", str(dangling), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert any("no_such_ingredient" in line for line in report["errors"])


def test_catalog_diff_lists_the_changed_ingredient(
    cli_env: Path, catalog_copy: Callable[..., Path]
) -> None:
    old = catalog_copy("old")
    new = catalog_copy(
        "new", "cost_per_kg_rmb: 150", "cost_per_kg_rmb: 175", after="- id: niacinamide\n"
    )
    result = runner.invoke(app, ["catalog", "diff", str(old), str(new)])
    assert result.exit_code == 0, result.output
    assert "ingredients: +0 -0 ~1" in result.output
    assert "~ niacinamide: cost_per_kg_rmb" in result.output
    as_json = runner.invoke(app, ["catalog", "diff", str(old), str(new), "--json"])
    assert as_json.exit_code == 0, as_json.output
    changed = json.loads(as_json.stdout)["ingredients"]["changed"]
    assert changed == {"niacinamide": {"cost_per_kg_rmb": {"old": 150.0, "new": 175.0}}}
