"""Hundreds of malformed uploads to ``POST /analyze`` with the real models: never a server error.

The corpus (``malformed_uploads.py``) is generated here, not stored. The app runs the shipped
face detector and skin model, because decoding, the size limits and the quality gate are what
malformed photos exercise; files that happen to decode reach the models and are refused as
photos (``NO_FACE``...) or analysed. Every refusal must carry a machine-readable code and both
messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from malformed_uploads import Upload, malformed_uploads

from serving.app import create_app
from skinlab.api_keys import create_api_key
from skinlab.settings import Settings

MIN_CORPUS = 200
ERROR_CODE = re.compile(r"^[A-Z][A-Z0-9_]+$")


@pytest.fixture(scope="module")
def real_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="test",
        data_dir=tmp_path_factory.mktemp("malformed"),
        rate_limit="",
    )
    app = create_app(settings)
    with TestClient(app) as client:
        assert app.state.analyzer_state.wait(timeout=60), "models did not load"
        with app.state.sessionmaker() as session:
            key = create_api_key(session, "miniprogram", label="malformed uploads").key
            session.commit()
        client.headers["Authorization"] = f"Bearer {key}"
        yield client


def send(client: TestClient, upload: Upload) -> Any:
    if upload.via == "json":
        return client.post("/analyze", json={"image_base64": upload.text, "consent": True})
    if upload.via == "raw":
        headers = {"Content-Type": upload.content_type} if upload.content_type else {}
        return client.post("/analyze", content=upload.payload, headers=headers)
    return client.post(
        "/analyze",
        files={upload.field_name: (upload.filename, upload.payload, upload.content_type)},
        data=upload.form,
    )


def refusal_problems(status: int, body: Any) -> str | None:
    """What is wrong with a 4xx body, or None when it is the documented error shape."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"{status} without an error object: {body!r:.200}"
    if not isinstance(error.get("code"), str) or not ERROR_CODE.match(error["code"]):
        return f"{status} with no machine-readable code: {error!r:.200}"
    if not error.get("message") or not error.get("message_zh"):
        return f"{status} {error['code']} without message and message_zh"
    return None


# A multipart body cut before its closing boundary leaves the open part's spooled file out of
# the form, so nothing can close it; python-multipart's MultipartParser.finalize() does not
# report truncation (a known TODO there), and Starlette cannot close what it never returns.
# The file is reclaimed when the parser is freed, at the end of the request.
@pytest.mark.filterwarnings("ignore:Unclosed file <tempfile.SpooledTemporaryFile:ResourceWarning")
def test_no_malformed_upload_gets_a_server_error(real_client: TestClient) -> None:
    corpus = malformed_uploads()
    print(f"\nmalformed uploads: {len(corpus)}")
    assert len(corpus) >= MIN_CORPUS
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    for upload in corpus:
        response = send(real_client, upload)
        body = response.json()
        if response.status_code >= 500:
            problems.append(f"{upload.name}: {response.status_code} {body}")
            continue
        if response.status_code >= 400:
            problem = refusal_problems(response.status_code, body)
            if problem:
                problems.append(f"{upload.name}: {problem}")
                continue
            outcomes[f"{response.status_code} {body['error']['code']}"] += 1
        else:
            outcomes[str(response.status_code)] += 1
    print("outcomes:", dict(outcomes.most_common()))
    assert not problems, "\n".join(problems)
    # The corpus reaches every stage: parsing, consent, decoding, size limits, the quality gate.
    codes = {outcome.split(" ", 1)[-1] for outcome in outcomes}
    assert {"INVALID_IMAGE", "IMAGE_TOO_LARGE", "IMAGE_TOO_SMALL", "VALIDATION_ERROR"} <= codes
    assert {"IMAGE_MISSING", "CONSENT_REQUIRED", "UNSUPPORTED_MEDIA_TYPE", "NO_FACE"} <= codes
