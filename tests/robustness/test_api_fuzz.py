"""Requests generated from the OpenAPI schema, on every operation it lists: never a server error.

Schemathesis builds Hypothesis strategies from ``/openapi.json``: schema-valid requests
(``positive``) and requests that break the schema in one place (``negative``: wrong types, missing
fields, bad bodies, odd headers). Each response must not be a 5xx, must have a documented status
code, content type and headers, and must match its response schema.

The app runs with the fake analyzer, a simulated brand of 500 users (so ``/rank`` and the
profiles build a real board), an admin key and no rate limit. Operations are read from the
schema, so a new endpoint is fuzzed without touching this file. Schemathesis' own pytest plugin
is not used: its lazy loader reads a private pytest attribute that pytest 9 removed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi import checks as openapi_checks

from data.simulation_config import SimulationConfig
from data.simulator import write_simulation
from serving.app import create_app
from skinlab.api_keys import create_api_key
from skinlab.settings import Settings

EXAMPLES_PER_OPERATION = 50
USERS = 500
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.status_code_conformance,
]
# Left out on purpose: ``positive_data_acceptance`` (a schema-valid upload of a 1x1 PNG is
# rightly refused as IMAGE_TOO_SMALL) and ``negative_data_rejection`` (pydantic's lax mode
# accepts ``true`` for an integer and ignores unknown fields, by design).


@dataclass(frozen=True)
class FuzzedApi:
    schema: schemathesis.BaseSchema
    headers: dict[str, str]
    known_user: str


@pytest.fixture
def fuzzed_api(
    settings_factory: Callable[..., Settings], fake_analyzer: Any, tmp_path: Path
) -> Iterator[FuzzedApi]:
    """The app started by schemathesis' ASGI client (which owns its lifespan), with a key."""
    events = tmp_path / "events"
    write_simulation(SimulationConfig.load(), USERS, events)
    app = create_app(
        settings_factory(events_dir=events, rate_limit=""),
        analyzer_loader=lambda _settings: fake_analyzer,
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    try:
        assert app.state.analyzer_state.wait(timeout=10)
        board = app.state.ranking.require()
        with app.state.sessionmaker() as session:
            key = create_api_key(session, "admin", label="fuzz").key
            session.commit()
        yield FuzzedApi(schema, {"Authorization": f"Bearer {key}"}, str(board.frame.index[7]))
    finally:
        shutdown_lifespans()


@dataclass
class FuzzRun:
    """What one operation's generated requests got back."""

    statuses: Counter[int] = field(default_factory=Counter)
    failure: str | None = None

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())


def _fuzz(
    api: FuzzedApi,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    **fixed: Any,
) -> FuzzRun:
    """Send ``EXAMPLES_PER_OPERATION`` generated requests and check each response."""
    run = FuzzRun()
    checks = CHECKS

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def send(case: schemathesis.Case) -> None:
        response = case.call(headers=api.headers)
        run.statuses[response.status_code] += 1
        case.validate_response(response, checks=checks, headers=api.headers)

    try:
        send()
    except Unsatisfiable:
        pass  # nothing to negate: an operation without parameters or body
    except (Exception, BaseExceptionGroup) as failure:
        run.failure = f"{operation.label} ({mode.value}): {failure}"
    return run


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_survives_generated_requests(
    fuzzed_api: FuzzedApi, mode: GenerationMode
) -> None:
    operations = [result.ok() for result in fuzzed_api.schema.get_all_operations()]
    assert len(operations) >= 16  # every route of the API, read from its schema
    runs = {operation.label: _fuzz(fuzzed_api, operation, mode) for operation in operations}
    print(f"\n{mode.value} requests per operation: { ({k: r.sent for k, r in runs.items()}) }")
    failures = [run.failure for run in runs.values() if run.failure]
    assert not failures, "\n\n".join(failures)
    assert sum(run.sent for run in runs.values()) >= EXAMPLES_PER_OPERATION * 8
    assert not any(status >= 500 for run in runs.values() for status in run.statuses)


def test_user_operations_survive_generated_requests_for_a_known_user(
    fuzzed_api: FuzzedApi,
) -> None:
    """Random ids are almost never customers; this pass reaches the found-user paths too."""
    runs = {
        operation.label: _fuzz(
            fuzzed_api,
            operation,
            GenerationMode.POSITIVE,
            path_parameters={"user_id": fuzzed_api.known_user},
        )
        for result in fuzzed_api.schema.get_all_operations()
        if "{user_id}" in (operation := result.ok()).path
    }
    failures = [run.failure for run in runs.values() if run.failure]
    assert not failures, "\n\n".join(failures)
    assert runs["GET /users/{user_id}/profile"].statuses[200] >= 1
    assert runs["POST /users/{user_id}/contacts"].statuses[201] >= 1
