"""The model registry: versions, ``champion``/``challenger`` aliases, gated promotion, rollback.

Every model type has one registered model in the MLflow store (``skinlab-skin-heads``,
``skinlab-propensity``). A training run's artifacts folder becomes a version; the first one is
``champion`` (what serving uses), later ones ``challenger``. Promotion scores both on the same
frozen evaluation set (``training._registry_frozen``) and is refused when the challenger is worse
on a gated metric (``training._registry_gate``) unless forced with a reason.

History lives in the registry itself, so it follows the store to any tracking server: the
registered model's tag ``champion_history`` is the stack of champion versions (rollback pops
it) and ``event.NNNNNN`` tags hold one JSON record per registration, promotion and rollback
(who, when, forced, reason, the frozen set's fingerprint and the gate verdicts); the version
promoted or rolled back also carries ``promoted_*``/``rolled_back_*`` tags.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skinlab.audit import AuditAction, audit_session, record_audit
from skinlab.errors import InvalidInput, NotFound, SkinlabError
from skinlab.settings import Settings
from training import _registry_frozen as frozen
from training import _registry_store as store
from training._registry_gate import GATES, MetricVerdict, gate, refusal, verdicts_json
from training._registry_store import CACHE_DIR, CHALLENGER, CHAMPION, EVENT_PREFIX

MAX_REASON = 1000  # registry tags hold 5,000 characters; the event around it needs room


@dataclass(frozen=True)
class ModelType:
    """A registered model: its name and the run artifact folder a version is made from."""

    name: str
    artifact_path: str


MODEL_TYPES = {
    "skin-heads": ModelType("skinlab-skin-heads", "skin_heads"),
    "propensity": ModelType("skinlab-propensity", "propensity"),
}


class RegistryConflict(SkinlabError):
    status = 409
    code = "REGISTRY_CONFLICT"
    message = "The registry is not in a state that allows this."
    message_zh = "模型注册表的当前状态不允许此操作。"


def model_type_of(model_type: str) -> ModelType:
    """The registered model of ``model_type``; the error names the allowed values."""
    model_type = model_type.removeprefix("skinlab-")  # the registered name works too
    if model_type not in MODEL_TYPES:
        raise InvalidInput(
            f"Unknown model {model_type!r}; use one of {', '.join(MODEL_TYPES)}.",
            message_zh=f"未知模型 {model_type!r}；可选：{'、'.join(MODEL_TYPES)}。",
        )
    return MODEL_TYPES[model_type]


def register_run(
    settings: Settings, model_type: str, run_id: str, artifact_path: str | None = None
) -> int:
    """Make a version of ``model_type`` from a run's artifacts folder and alias it.

    Parameters
    ----------
    settings : Settings
        Where the MLflow store is.
    model_type : str
        ``skin-heads`` or ``propensity``.
    run_id : str
        The MLflow run that logged the artifacts folder.
    artifact_path : str, optional
        The folder inside the run (``skin_heads`` or ``propensity`` by default).

    Returns
    -------
    int
        The new version: ``champion`` when the model had none, ``challenger`` otherwise.
    """
    kind = model_type_of(model_type)
    path = artifact_path or kind.artifact_path
    client = store.client(settings)
    manifest = store.run_manifest(settings, run_id, path)
    if model_type == "propensity" and manifest.get("task") != "card":
        raise InvalidInput(
            f"Only the card task is registered as {kind.name}, not {manifest.get('task')!r}.",
            message_zh=f"只有月卡任务会注册为 {kind.name}。",
        )
    if store.registered(client, kind.name) is None:
        client.create_registered_model(kind.name, tags={"model_type": model_type})
    tags = {**store.training_tags(model_type, manifest), "artifact_path": path}
    version = int(
        client.create_model_version(
            kind.name, source=f"runs:/{run_id}/{path}", run_id=run_id, tags=tags
        ).version
    )
    model = store.registered(client, kind.name)
    assert model is not None
    role = CHALLENGER if CHAMPION in model.aliases else CHAMPION
    if role == CHAMPION:
        store.set_champion(client, kind.name, version, [version])
    else:
        client.set_registered_model_alias(kind.name, CHALLENGER, str(version))
    store.record(client, kind.name, {"action": "registered", "version": version, "alias": role})
    return version


def list_models(settings: Settings) -> list[dict[str, Any]]:
    """Every model type with its versions (newest first), aliases and champion history."""
    client = store.client(settings)
    out: list[dict[str, Any]] = []
    for model_type, kind in MODEL_TYPES.items():
        model = store.registered(client, kind.name)
        versions = client.search_model_versions(f"name='{kind.name}'") if model else []
        out.append(
            {
                "model_type": model_type,
                "name": kind.name,
                "champion": store.alias(client, kind.name, CHAMPION),
                "challenger": store.alias(client, kind.name, CHALLENGER),
                "champion_history": store.champion_stack(model) if model else [],
                "versions": sorted(
                    (store.describe(v, model.aliases if model else {}) for v in versions),
                    key=lambda v: -int(v["version"]),
                ),
            }
        )
    return out


def history(settings: Settings, model_type: str) -> list[dict[str, Any]]:
    """Registrations, promotions and rollbacks of ``model_type``, oldest first."""
    model = store.registered(store.client(settings), model_type_of(model_type).name)
    if model is None:
        return []
    keys = sorted(k for k in model.tags if k.startswith(EVENT_PREFIX))
    return [json.loads(model.tags[k]) for k in keys]


def artifacts_of(settings: Settings, model_type: str, version: int) -> Path:
    """A local copy of one version's artifacts folder, downloaded once into the data dir.

    Versions never change, so the copy is kept under ``<data dir>/registry/<name>/<version>``;
    it is moved into place whole, so concurrent callers see either nothing or all of it.
    """
    kind = model_type_of(model_type)
    target = settings.data_dir / CACHE_DIR / kind.name / str(version)
    if target.is_dir():
        return target
    entry = store.client(settings).get_model_version(kind.name, str(version))
    path = entry.tags.get("artifact_path", kind.artifact_path)
    store.download(settings, str(entry.run_id), path, target)
    return target


def champion_version(settings: Settings, model_type: str) -> int | None:
    """The champion's version number, or None (one registry read: cheap enough to poll)."""
    return store.alias(store.client(settings), model_type_of(model_type).name, CHAMPION)


def champion_artifacts(settings: Settings, model_type: str) -> tuple[int, Path]:
    """The champion's version and a local folder with its artifacts (what serving loads)."""
    version = champion_version(settings, model_type)
    if version is None:
        raise NotFound(f"{model_type_of(model_type).name} has no champion.", code="NO_CHAMPION")
    return version, artifacts_of(settings, model_type, version)


def compare(settings: Settings, model_type: str, challenger: int | None = None) -> dict[str, Any]:
    """Score the champion and a challenger (the ``challenger`` alias by default) on the same
    frozen set and judge the challenger against the gate.

    Returns
    -------
    dict
        ``frozen_set`` (fingerprint, size, spec), ``champion`` and ``challenger`` (version and
        metrics), ``gate`` (one verdict per gated metric), ``passes`` and ``seconds``.
    """
    started = time.perf_counter()
    kind = model_type_of(model_type)
    client = store.client(settings)
    champion = store.alias(client, kind.name, CHAMPION)
    candidate = challenger if challenger is not None else store.alias(client, kind.name, CHALLENGER)
    if champion is None:
        raise NotFound(f"{kind.name} has no champion yet.", code="NO_CHAMPION")
    if candidate is None:
        raise NotFound(f"{kind.name} has no challenger to compare.", code="NO_CHALLENGER")
    store.require_version(client, kind.name, candidate)
    folders = [artifacts_of(settings, model_type, v) for v in (champion, candidate)]
    frozen_set, (ours, theirs) = frozen.score(settings, model_type, folders)
    verdicts = gate(model_type, ours, theirs)
    passes = all(v.passes for v in verdicts)
    client.set_model_version_tag(kind.name, str(candidate), "last_compare", json.dumps(
        {"at": store.now(), "champion": champion, "frozen_set": frozen_set.fingerprint,
         "passes": passes, "metrics": {r.metric: theirs[r.metric] for r in GATES[model_type]}}
    ))  # fmt: skip
    return {
        "model": kind.name,
        "frozen_set": frozen_set.describe(),
        "champion": {"version": champion, "metrics": ours},
        "challenger": {"version": candidate, "metrics": theirs},
        "gate": verdicts_json(verdicts),
        "passes": passes,
        "seconds": round(time.perf_counter() - started, 2),
    }


def promote(
    settings: Settings,
    model_type: str,
    version: int | None = None,
    *,
    force: bool = False,
    reason: str | None = None,
    actor: str = "unknown",
) -> dict[str, Any]:
    """Make ``version`` (the challenger by default) champion if it matches or beats the champion.

    Raises
    ------
    PromotionRefused
        When it is worse on a gated metric and ``force`` is not set; the message lists them.
    InvalidInput
        When ``force`` is given without a reason.
    """
    kind = model_type_of(model_type)
    if force and not (reason and reason.strip()):
        raise InvalidInput(
            "A forced promotion needs --reason: it is recorded with the new champion.",
            code="REASON_REQUIRED",
            message_zh="强制上线需要提供 --reason，原因会与新冠军模型一同记录。",
        )
    client = store.client(settings)
    champion = store.alias(client, kind.name, CHAMPION)
    candidate = version if version is not None else store.alias(client, kind.name, CHALLENGER)
    if candidate is None:
        raise NotFound(f"{kind.name} has no challenger to promote.", code="NO_CHALLENGER")
    store.require_version(client, kind.name, candidate)
    if candidate == champion:
        raise RegistryConflict(f"Version {candidate} is already the champion of {kind.name}.")
    comparison = compare(settings, model_type, candidate) if champion is not None else None
    if comparison is not None and not comparison["passes"] and not force:
        verdicts = [MetricVerdict(**v) for v in comparison["gate"]]
        fingerprint = comparison["frozen_set"]["fingerprint"]
        raise refusal(kind.name, candidate, champion or 0, verdicts, fingerprint)
    forced = bool(force and comparison is not None and not comparison["passes"])
    event: dict[str, Any] = {
        "action": "promoted",
        "version": candidate,
        "previous": champion,
        "actor": actor,
        "forced": forced,
        "reason": (reason or "")[:MAX_REASON],
        "frozen_set": comparison["frozen_set"]["fingerprint"] if comparison else None,
        "gate": comparison["gate"] if comparison else None,
    }
    model = store.registered(client, kind.name)
    stack = store.champion_stack(model) if model is not None else []
    details = {k: event[k] for k in ("version", "previous", "forced", "reason", "frozen_set")}
    # Audited before the alias moves, so a crash in between cannot leave a silent promotion.
    _audit(settings, AuditAction.MODEL_PROMOTION_STARTED, kind, candidate, actor, details)
    store.set_champion(client, kind.name, candidate, [*stack, candidate])
    if store.alias(client, kind.name, CHALLENGER) == candidate:
        client.delete_registered_model_alias(kind.name, CHALLENGER)
    for key in ("actor", "forced", "reason", "previous"):
        client.set_model_version_tag(kind.name, str(candidate), f"promoted_{key}", str(event[key]))
    client.set_model_version_tag(kind.name, str(candidate), "promoted_at", store.now())
    store.record(client, kind.name, event)
    _audit(settings, AuditAction.MODEL_PROMOTED, kind, candidate, actor, details)
    return {**event, "comparison": comparison}


def rollback(settings: Settings, model_type: str, *, actor: str = "unknown") -> dict[str, Any]:
    """Move ``champion`` back to the champion before it (the history stack is popped)."""
    kind = model_type_of(model_type)
    client = store.client(settings)
    model = store.registered(client, kind.name)
    stack = store.champion_stack(model) if model is not None else []
    if len(stack) < 2:
        raise RegistryConflict(
            f"{kind.name} has no earlier champion to roll back to.",
            code="NO_PREVIOUS_CHAMPION",
            message_zh=f"{kind.name} 没有可回滚到的上一任冠军模型。",
        )
    current, previous = stack[-1], stack[-2]
    if store.alias(client, kind.name, CHAMPION) != current:
        raise RegistryConflict(
            f"The champion of {kind.name} was moved outside skinlab (history ends at "
            f"{current}); promote the version you want with --version instead.",
            message_zh=f"{kind.name} 的冠军在 skinlab 之外被改动；请用 --version 指定版本。",
        )
    details = {"version": previous, "previous": current}
    _audit(settings, AuditAction.MODEL_ROLLBACK_STARTED, kind, previous, actor, details)
    store.set_champion(client, kind.name, previous, stack[:-1])
    client.set_model_version_tag(kind.name, str(current), "rolled_back_at", store.now())
    client.set_model_version_tag(kind.name, str(current), "rolled_back_by", actor)
    event = {"action": "rolled_back", "version": previous, "previous": current, "actor": actor}
    store.record(client, kind.name, event)
    _audit(settings, AuditAction.MODEL_ROLLED_BACK, kind, previous, actor, details)
    return event


def _audit(
    settings: Settings,
    action: AuditAction,
    kind: ModelType,
    version: int,
    actor: str,
    details: dict[str, Any],
) -> None:
    """Append a champion change to the service's audit trail (``skinlab audit list``).

    A ``*_started`` row is written before the alias moves and the completion row after; a
    started row without its completion (``skinlab audit verify`` lists them) marks a command
    that stopped in between. The registry keeps its own event tags too.
    """
    with audit_session(settings) as session:
        record_audit(
            session,
            action,
            actor=actor,
            subject=f"{kind.name}@{version}",
            details={"model": kind.name, **details},
        )
        session.commit()
