"""Reading a photo submission from ``POST /analyze``, as multipart or JSON, without trusting it.

The body is read through a counting ``receive`` that stops at ``settings.max_request_bytes``
(413 ``REQUEST_TOO_LARGE``), so an oversized upload is never held in memory: multipart files
spool to disk past 1 MB, and the photo itself is read with a cap of ``max_upload_bytes``
(422 ``IMAGE_TOO_LARGE``). Consent is checked before the photo is read or decoded.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive

from serving.errors import (
    ImageMissing,
    RequestTooLarge,
    UnsupportedMediaType,
    validation_failed,
)
from serving.schemas import AnalyzeJSONRequest, AnalyzeOptions
from skinlab.errors import ConsentRequired, ImageTooLarge
from skinlab.settings import Settings

IMAGE_FIELD = "image"
MULTIPART = "multipart/form-data"
JSON = "application/json"
SUPPORTED_MEDIA_TYPES = (MULTIPART, JSON)


@dataclass(frozen=True)
class Submission:
    """A consented photo and its options; exactly one of ``raw`` or ``base64_text`` is set."""

    options: AnalyzeOptions
    raw: bytes | None = None
    base64_text: str | None = None


async def read_submission(request: Request, settings: Settings) -> Submission:
    """Parse the request by its content type; raise the matching ``SkinlabError`` if unusable."""
    limit = settings.max_request_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(details={"limit_bytes": limit})
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    capped = Request(request.scope, receive=_capped_receive(request.receive, limit))
    if media_type == MULTIPART:
        return await _from_multipart(capped, settings)
    if media_type == JSON or (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        return await _from_json(capped)
    raise UnsupportedMediaType(
        details={"content_type": media_type or None, "supported": list(SUPPORTED_MEDIA_TYPES)}
    )


def _capped_receive(receive: Receive, limit: int) -> Receive:
    """Wrap ``receive`` so that reading more than ``limit`` body bytes raises 413."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise RequestTooLarge(details={"limit_bytes": limit})
        return message

    return capped


def _require_consent(options: AnalyzeOptions) -> None:
    if not options.consent:
        raise ConsentRequired()


async def _from_multipart(request: Request, settings: Settings) -> Submission:
    try:
        form = await request.form(max_files=1, max_fields=16)
    except StarletteHTTPException as exc:  # Starlette's answer to a malformed multipart body
        raise validation_failed(
            [{"loc": ("body",), "msg": str(exc.detail), "type": "multipart_invalid"}]
        ) from exc
    try:
        fields = {key: value for key, value in form.multi_items() if isinstance(value, str)}
        try:
            options = AnalyzeOptions.model_validate(fields)
        except ValidationError as exc:
            raise validation_failed(exc.errors(include_input=False), prefix=("body",)) from exc
        _require_consent(options)
        upload = form.get(IMAGE_FIELD)
        if not isinstance(upload, UploadFile):
            raise ImageMissing()
        raw = await upload.read(settings.max_upload_bytes + 1)
        if len(raw) > settings.max_upload_bytes:
            raise ImageTooLarge(details={"limit_bytes": settings.max_upload_bytes})
        if not raw:
            raise ImageMissing("The photo file is empty.", message_zh="照片文件为空。")
        return Submission(options=options, raw=raw)
    finally:
        await form.close()


async def _from_json(request: Request) -> Submission:
    body = b"".join([chunk async for chunk in request.stream()])
    try:
        payload = AnalyzeJSONRequest.model_validate_json(body)
    except ValidationError as exc:
        raise validation_failed(exc.errors(include_input=False), prefix=("body",)) from exc
    _require_consent(payload)
    if not payload.image_base64 or not payload.image_base64.strip():
        raise ImageMissing()
    options = AnalyzeOptions.model_validate(payload.model_dump(exclude={"image_base64"}))
    return Submission(options=options, base64_text=payload.image_base64)
