"""The one place where exceptions become HTTP responses, all shaped ``{"error": {...}}``.

``SkinlabError`` subclasses carry their status and bilingual messages; this module adds the few
that only the HTTP layer raises and maps FastAPI's and Starlette's own errors (validation,
unknown route, wrong method) to the same shape. Anything else is a 500 that names the request
id and nothing of the internals.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from serving.logging import REQUEST_ID_HEADER, request_id_of
from skinlab.errors import NotFound, SkinlabError, error_body

logger = logging.getLogger("skinlab.serving")
# The request state key naming the code of the error rendered (serving/metrics.py counts them).
ERROR_CODE_STATE = "error_code"


class ImageMissing(SkinlabError):
    status = 422
    code = "IMAGE_MISSING"
    message = "No photo was sent."
    message_zh = "未收到照片。"
    hint = "Send the photo as a file field named 'image', or as image_base64 in a JSON body."
    hint_zh = "请以名为 image 的文件字段上传照片，或在 JSON 中提供 image_base64。"


class UnsupportedMediaType(SkinlabError):
    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    message = "Send the photo as multipart/form-data or application/json."
    message_zh = "请以 multipart/form-data 或 application/json 格式提交照片。"


class RequestTooLarge(SkinlabError):
    status = 413
    code = "REQUEST_TOO_LARGE"
    message = "The request body is far larger than any accepted photo."
    message_zh = "请求内容过大，远超照片大小上限。"
    hint = "Send one photo under 12 MB."
    hint_zh = "请上传一张小于 12 MB 的照片。"


def body_too_large(limit_bytes: int | None = None) -> RequestTooLarge:
    """413 for a body over the limit of an endpoint that takes no photo."""
    return RequestTooLarge(
        "The request body is larger than this endpoint accepts.",
        message_zh="请求内容超过此接口允许的大小。",
        hint="Send a smaller body.",
        hint_zh="请减小请求内容。",
        details={"limit_bytes": limit_bytes} if limit_bytes is not None else None,
    )


class UserNotFound(NotFound):
    code = "USER_NOT_FOUND"
    message = "Nothing is stored for this user."
    message_zh = "未找到该用户的任何数据。"


class AnalysisNotFound(NotFound):
    code = "ANALYSIS_NOT_FOUND"
    message = "No analysis has this id."
    message_zh = "未找到该分析记录。"


class ValidationFailed(SkinlabError):
    status = 422
    code = "VALIDATION_ERROR"
    message = "The request is not valid; details.errors names each problem."
    message_zh = "请求内容无效，details.errors 中列出了每个问题。"


class MethodNotAllowed(SkinlabError):
    status = 405
    code = "METHOD_NOT_ALLOWED"
    message = "This method is not allowed on this path."
    message_zh = "此路径不支持该请求方法。"


class InternalError(SkinlabError):
    status = 500
    code = "INTERNAL_ERROR"
    message = "Something went wrong on our side; the request id identifies it in our logs."
    message_zh = "服务器内部错误，请将请求编号提供给我们以便排查。"


def validation_failed(errors: Sequence[Any], *, prefix: tuple[str, ...] = ()) -> ValidationFailed:
    """A 422 listing pydantic errors by location, never echoing the submitted values."""
    # Inputs are dropped: they may be a base64 photo or a phone number.
    cleaned = [
        {"loc": [*prefix, *error.get("loc", ())], "msg": error["msg"], "type": error["type"]}
        for error in errors
    ]
    return ValidationFailed(details={"errors": cleaned})


def render_error(
    request: Request,
    exc: SkinlabError,
    *,
    status: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The JSON response for a ``SkinlabError``; 5xx bodies say nothing beyond the request id."""
    status = status or exc.status
    setattr(request.state, ERROR_CODE_STATE, exc.code)
    body = error_body(exc)
    request_id = request_id_of(request)
    headers = dict(headers or {})
    if status >= 500:
        body["error"].pop("details", None)
        if request_id:
            body["error"]["details"] = {"request_id": request_id}
    if request_id:
        headers[REQUEST_ID_HEADER] = request_id
    return JSONResponse(body, status_code=status, headers=headers)


async def _skinlab_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SkinlabError)
    if exc.status >= 500:
        logger.warning("%s: %s", exc.code, exc.message)
    # Errors that need a header (Retry-After, WWW-Authenticate) carry it as response_headers.
    return render_error(request, exc, headers=getattr(exc, "response_headers", None))


async def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return render_error(request, validation_failed(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    error: SkinlabError
    if exc.status_code == 404:
        error = NotFound("No such path.", message_zh="路径不存在。")
    elif exc.status_code == 405:
        error = MethodNotAllowed()
    elif exc.status_code == 413:
        error = body_too_large()
    elif exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's 400 for a JSON body that is not UTF-8; JSON that does not parse is already
        # a 422 json_invalid, and the schema documents 422 for every bad body.
        invalid = {"loc": ("body",), "msg": "The body is not UTF-8 JSON", "type": "json_invalid"}
        return render_error(request, validation_failed([invalid]))
    else:
        phrase = HTTPStatus(exc.status_code).phrase
        error = SkinlabError(str(exc.detail or phrase), code=phrase.upper().replace(" ", "_"))
    return render_error(request, error, status=exc.status_code, headers=exc.headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception(
        "unhandled %s on %s %s",
        type(exc).__name__,
        request.method,
        request.url.path,
        extra={"request_id": request_id_of(request)},
    )
    return render_error(request, InternalError())


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above on ``app``."""
    app.add_exception_handler(SkinlabError, _skinlab_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
