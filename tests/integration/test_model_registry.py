"""The model registry on a temporary MLflow store: register, compare, gated promote, rollback.

Version 1 is the shipped propensity model; version 2 a deliberately worse one (10 trees on a
1,500-user brand). The frozen evaluation set is built once for the module and copied into each
test's data folder, as a real installation keeps it in its own.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mlflow
import pytest
import yaml
from typer.testing import CliRunner

from data.vocabulary import CONCERNS
from skinlab.cli import app
from skinlab.errors import InvalidInput
from skinlab.settings import SHIPPED_MODELS_DIR, Settings, get_settings
from training import registry
from training._registry_frozen import FROZEN_DIR, SKIN_SPEC, score_skin, skin_set
from training._registry_gate import PromotionRefused
from training.propensity_config import DEFAULT_PROPENSITY_CONFIG
from training.tracking import set_experiment

runner = CliRunner()
SHIPPED = SHIPPED_MODELS_DIR / "propensity"


@pytest.fixture
def settings(settings_factory: Callable[..., Settings], frozen_cache: Path) -> Settings:
    made = settings_factory()
    shutil.copytree(frozen_cache, made.data_dir / FROZEN_DIR)
    return made


def _log(settings: Settings, folder: Path) -> str:
    """Log an artifacts folder as a run of the propensity experiment; returns the run id."""
    set_experiment(settings, "propensity")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(folder), artifact_path="propensity")
    return str(run.info.run_id)


def _aliases(settings: Settings) -> dict[int, list[str]]:
    (model,) = [m for m in registry.list_models(settings) if m["model_type"] == "propensity"]
    return {v["version"]: v["aliases"] for v in model["versions"]}


def test_a_worse_challenger_is_refused_until_forced_with_a_reason_then_rolled_back(
    settings: Settings, degraded: Path
) -> None:
    assert registry.register_run(settings, "propensity", _log(settings, SHIPPED)) == 1
    assert registry.register_run(settings, "propensity", _log(settings, degraded)) == 2
    assert _aliases(settings) == {2: ["challenger"], 1: ["champion"]}

    comparison = registry.compare(settings, "propensity")
    assert comparison["champion"]["version"] == 1 and comparison["challenger"]["version"] == 2
    frozen_set = comparison["frozen_set"]
    assert frozen_set["size"] > 10_000 and len(frozen_set["fingerprint"]) == 64
    assert comparison["passes"] is False
    worse = {v["metric"] for v in comparison["gate"] if not v["passes"]}
    assert "roc_auc" in worse

    with pytest.raises(PromotionRefused) as refused:
        registry.promote(settings, "propensity", actor="ds1")
    assert refused.value.code == "PROMOTION_REFUSED"
    assert "roc_auc" in refused.value.message and "worse than champion 1" in refused.value.message
    assert "roc_auc" in refused.value.message_zh and "不如" in refused.value.message_zh
    assert _aliases(settings)[1] == ["champion"]

    with pytest.raises(InvalidInput) as no_reason:
        registry.promote(settings, "propensity", force=True, actor="ds1")
    assert no_reason.value.code == "REASON_REQUIRED"

    promoted = registry.promote(
        settings, "propensity", force=True, reason="campaign needs the new features", actor="ds1"
    )
    assert promoted["version"] == 2 and promoted["previous"] == 1 and promoted["forced"] is True
    assert _aliases(settings) == {2: ["champion"], 1: []}
    (model,) = [m for m in registry.list_models(settings) if m["model_type"] == "propensity"]
    tags = model["versions"][0]["tags"]
    assert tags["promoted_reason"] == "campaign needs the new features"
    assert tags["promoted_actor"] == "ds1" and tags["promoted_forced"] == "True"
    assert model["champion_history"] == [1, 2]
    event = registry.history(settings, "propensity")[-1]
    assert event["action"] == "promoted" and event["reason"] == "campaign needs the new features"
    assert event["frozen_set"] == comparison["frozen_set"]["fingerprint"]

    rolled = registry.rollback(settings, "propensity", actor="ds2")
    assert rolled == {"action": "rolled_back", "version": 1, "previous": 2, "actor": "ds2"}
    assert _aliases(settings)[1] == ["champion"]
    version, folder = registry.champion_artifacts(settings, "propensity")
    shipped = json.loads((SHIPPED / "manifest.json").read_text("utf-8"))["version"]
    assert version == 1
    assert json.loads((folder / "manifest.json").read_text("utf-8"))["version"] == shipped
    with pytest.raises(registry.RegistryConflict) as nothing_left:
        registry.rollback(settings, "propensity")
    assert nothing_left.value.code == "NO_PREVIOUS_CHAMPION"


def test_a_challenger_that_matches_the_champion_is_promoted_without_force(
    settings: Settings,
) -> None:
    registry.register_run(settings, "propensity", _log(settings, SHIPPED))
    registry.register_run(settings, "propensity", _log(settings, SHIPPED))
    promoted = registry.promote(settings, "propensity", actor="ds1")
    assert promoted["version"] == 2 and promoted["forced"] is False
    assert all(v["passes"] and v["delta"] == 0 for v in promoted["comparison"]["gate"])
    assert _aliases(settings) == {2: ["champion"], 1: []}
    # someone moves the alias by hand in the MLflow UI: rollback refuses to guess
    mlflow.MlflowClient().set_registered_model_alias("skinlab-propensity", "champion", "1")
    with pytest.raises(registry.RegistryConflict, match="moved outside skinlab"):
        registry.rollback(settings, "propensity")


def test_promotions_and_rollbacks_go_to_the_audit_trail(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skinlab.audit import audit_session, list_events, unfinished_model_changes, verify_chain

    registry.register_run(settings, "propensity", _log(settings, SHIPPED))
    registry.register_run(settings, "propensity", _log(settings, SHIPPED))
    registry.promote(settings, "propensity", actor="ds1", reason="same model, fresher run")
    registry.rollback(settings, "propensity", actor="ds2")
    with audit_session(settings) as session:
        started, promoted, rollback_started, rolled_back = list_events(session)
        assert verify_chain(session).ok
        assert unfinished_model_changes(session) == []
    assert (started.action, started.subject) == ("model_promotion_started", promoted.subject)
    assert (rollback_started.action, rollback_started.subject) == (
        "model_rollback_started",
        rolled_back.subject,
    )
    # a crash while the alias moves: the attempt is on record, without its completion
    monkeypatch.setattr(registry.store, "set_champion", _crash)
    with pytest.raises(RuntimeError, match="killed"):
        registry.promote(settings, "propensity", 2, actor="ds3", reason="again")
    with audit_session(settings) as session:
        (unfinished,) = unfinished_model_changes(session)
    assert (unfinished.action, unfinished.actor) == ("model_promotion_started", "ds3")
    assert (promoted.action, promoted.actor) == ("model_promoted", "ds1")
    assert promoted.subject == "skinlab-propensity@2"
    assert promoted.details["previous"] == 1 and promoted.details["forced"] is False
    assert promoted.details["reason"] == "same model, fresher run"
    assert len(promoted.details["frozen_set"]) == 64
    assert (rolled_back.action, rolled_back.actor) == ("model_rolled_back", "ds2")
    assert rolled_back.subject == "skinlab-propensity@1"
    assert rolled_back.details == {"model": "skinlab-propensity", "version": 1, "previous": 2}


def _crash(*_args: Any, **_kwargs: Any) -> None:
    raise RuntimeError("killed between the audit row and the alias")


@pytest.mark.slow  # renders and measures 48 painted faces (about 15 s on a busy core)
def test_skin_heads_register_and_score_on_a_fingerprinted_sweep(settings: Settings) -> None:
    tiny = {**SKIN_SPEC, "sources": 1, "tones": [55.0, -35.0], "severities": [0.0, 0.5, 1.0]}
    built, arrays = skin_set(settings, tiny)
    cached, _ = skin_set(settings, tiny)
    assert cached.fingerprint == built.fingerprint and cached.path == built.path
    assert built.size == 2 * len(CONCERNS) * 3  # every painted face was measured
    shipped = score_skin(SHIPPED_MODELS_DIR / "skin_heads", arrays)
    assert shipped["spearman_within_face"] > 0.8 and 0 < shipped["mae"] < 40
    assert set(shipped["per_concern"]) == set(CONCERNS)

    set_experiment(settings, "skin-heads")
    with mlflow.start_run() as run:
        mlflow.log_artifacts(str(SHIPPED_MODELS_DIR / "skin_heads"), artifact_path="skin_heads")
    assert registry.register_run(settings, "skin-heads", run.info.run_id) == 1
    (model,) = [m for m in registry.list_models(settings) if m["model_type"] == "skin-heads"]
    tags = model["versions"][0]["tags"]
    assert model["champion"] == 1 and tags["model_type"] == "skin-heads"
    assert {"metric.spearman", "metric.mae", "data_fingerprint"} <= set(tags)


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout


def test_the_models_commands_list_compare_promote_and_roll_back(
    cli_env: Path, frozen_cache: Path, degraded: Path
) -> None:
    shutil.copytree(frozen_cache, cli_env / FROZEN_DIR)
    settings = get_settings()
    registry.register_run(settings, "propensity", _log(settings, SHIPPED))
    registry.register_run(settings, "propensity", _log(settings, degraded))

    code, out = _invoke("models", "list", "--json")
    assert code == 0
    listed = {m["model_type"]: m for m in json.loads(out)}
    assert listed["propensity"]["champion"] == 1 and listed["propensity"]["challenger"] == 2
    assert listed["skin-heads"]["versions"] == []
    code, out = _invoke("models", "list")
    assert "champion" in out and "challenger" in out

    code, out = _invoke("models", "compare", "propensity")
    assert code == 2 and "roc_auc" in out and "WORSE" in out and "gate: fails" in out

    code, out = _invoke("models", "promote", "propensity")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["code"] == "PROMOTION_REFUSED" and "roc_auc" in error["message"]

    code, out = _invoke(
        "models", "promote", "propensity", "--force", "--reason", "A/B test", "--actor", "ds1"
    )
    assert code == 0 and "champion is now v2" in out and "FORCED: A/B test" in out
    code, out = _invoke("models", "rollback", "propensity")
    assert code == 0 and "back to v1" in out
    code, out = _invoke("models", "history", "propensity")
    assert [e["action"] for e in json.loads(out)] == [
        "registered", "registered", "promoted", "rolled_back",
    ]  # fmt: skip
    code, out = _invoke("models", "promote", "skinlab-propensity", "--version", "99")
    assert code == 2 and json.loads(out)["error"]["code"] == "UNKNOWN_VERSION"
    code, out = _invoke("models", "compare", "nonsense")
    assert code == 2 and "skin-heads, propensity" in out


@pytest.fixture
def small_config(tmp_path: Path) -> Path:
    raw: dict[str, Any] = yaml.safe_load(DEFAULT_PROPENSITY_CONFIG.read_text("utf-8"))
    raw["simulated_users"] = 2000
    raw["lightgbm"]["n_estimators"] = 20
    path = tmp_path / "propensity.yaml"
    path.write_text(yaml.safe_dump(raw), "utf-8")
    return path


# log_model imports mlflow.pyfunc, whose chat-agent loader warns (in colour, hence .*) about
# its own type hints on import
@pytest.mark.filterwarnings("ignore:.*Any type hint is inferred:UserWarning")
def test_training_registers_the_run_unless_told_not_to(
    cli_env: Path, small_config: Path, tmp_path: Path
) -> None:
    train = ["train", "propensity", "--config", str(small_config), "--json"]
    code, out = _invoke(*train, "--out", str(tmp_path / "a"))
    assert code == 0, out
    assert json.loads(out)["registered_version"] == 1
    code, out = _invoke(*train, "--out", str(tmp_path / "b"), "--no-register")
    assert code == 0, out
    assert "registered_version" not in json.loads(out)
    (model,) = [m for m in registry.list_models(get_settings()) if m["model_type"] == "propensity"]
    assert model["champion"] == 1 and [v["version"] for v in model["versions"]] == [1]
