"""Structured logs: one JSON object per line, one access line per request, nothing personal.

Every request gets an id (the client's ``X-Request-ID`` when it is well-formed, else a new one)
that is echoed in the response and attached to its log line. Log text is scrubbed of base64
payloads, phone numbers and API key secrets before it is written, whatever logger produced it.
The access line names the caller by its key's public id and role.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # An API key's secret part (skinlab/api_keys.py); its public id stays readable.
    (re.compile(r"\b(skl_[0-9a-f]{12}_)[A-Za-z0-9_-]{32}"), r"\1[secret]"),
    (re.compile(r"data:[\w/+.-]*;base64,[A-Za-z0-9+/=_-]*"), "[data-url]"),
    # Long base64 runs are image payloads; 100+ characters leaves hashes and ids alone.
    (re.compile(r"[A-Za-z0-9+/_-]{100,}={0,2}"), "[base64]"),
    # Chinese mainland mobile numbers, with or without +86, anywhere in the text but inside a
    # longer run of letters and digits (a hex request id or hash holds such digit runs too).
    (re.compile(r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?1[3-9]\d{9}(?![0-9A-Za-z])"), "[phone]"),
)
# Attributes every LogRecord has (and uvicorn's ANSI-coloured copy of the message); anything
# else was passed with ``extra=``.
_RECORD_FIELDS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "color_message"}
)
_HANDLER_MARK = "_skinlab_handler"
# Loggers that say too much at INFO for a service log.
_QUIETER = {"alembic.runtime.plugins": logging.WARNING}

access_logger = logging.getLogger("skinlab.access")


def redact(text: str) -> str:
    """``text`` with base64 payloads, phone numbers and key secrets replaced by placeholders."""
    for pattern, placeholder in _REDACTIONS:
        text = pattern.sub(placeholder, text)
    return text


def _loggable(value: Any) -> Any:
    """A JSON-safe, redacted version of one ``extra`` value."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return f"[{len(value)} bytes]"
    return redact(str(value))


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line: time, level, logger, message and the extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                payload[key] = _loggable(value)
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """The plain-text formatter for development, scrubbed like the JSON one."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _CurrentStderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is now, not to the stream it was when created."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass  # pytest and CliRunner swap sys.stderr; follow them rather than keep a closed one


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Send all logs to stderr through one redacting handler; calling it again replaces it."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
    handler = _CurrentStderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, quieter_level in _QUIETER.items():
        logging.getLogger(name).setLevel(quieter_level)


def request_id_of(request: Request) -> str | None:
    """The id the middleware gave this request, if it ran."""
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


class RequestContextMiddleware:
    """Assigns the request id, echoes it in ``X-Request-ID`` and logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            extra: dict[str, object] = {
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "duration_ms": duration_ms,
            }
            # Who called (serving/auth.py): the key's public id, never the key.
            principal = scope["state"].get("principal")
            if principal is not None:
                extra["key_id"] = principal.key_id
                extra["role"] = str(principal.role)
            access_logger.info("%s %s %s", scope["method"], scope["path"], status, extra=extra)
