"""Request size limits, applied before any route reads a body.

Photo uploads (``UPLOAD_PATHS``) may send ``settings.max_request_bytes``; every other request
``settings.max_body_bytes``. A declared ``Content-Length`` over the limit is answered 413
``REQUEST_TOO_LARGE`` at once, before authentication and without reading the body; a body sent
without a length (chunked) is counted as it arrives and cut off at the limit. Uploads count
their own stream (``serving/_submission.py``), which also caps the photo inside the form.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.errors import RequestTooLarge, body_too_large, render_error

UPLOAD_PATHS = frozenset({"/analyze"})


class BodyLimitMiddleware:
    """Refuse request bodies over ``body_limit`` (``upload_limit`` on ``UPLOAD_PATHS``)."""

    def __init__(self, app: ASGIApp, *, body_limit: int, upload_limit: int) -> None:
        self.app = app
        self.body_limit = body_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["path"] in UPLOAD_PATHS
        limit = self.upload_limit if upload else self.body_limit
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            error = (
                RequestTooLarge(details={"limit_bytes": limit}) if upload else body_too_large(limit)
            )
            await render_error(Request(scope), error)(scope, receive, send)
            return
        await self.app(scope, receive if upload else _counted(receive, limit), send)


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises 413 once more than ``limit`` body bytes have arrived."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                # An HTTPException, not a SkinlabError: FastAPI turns anything else raised while
                # it reads a body into a 400. The error handler renders 413 as REQUEST_TOO_LARGE.
                raise StarletteHTTPException(413)
        return message

    return counted
