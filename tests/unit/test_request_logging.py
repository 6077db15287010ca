"""Log lines are JSON and never carry photos (base64) or phone numbers."""

from __future__ import annotations

import base64
import json
import logging
import os

import pytest

from serving.logging import JsonFormatter, redact


@pytest.mark.parametrize(
    "phone", ["13800138000", "+8613912345678", "86 15012345678", "user 18600001111 called"]
)
def test_phone_numbers_are_redacted(phone: str) -> None:
    assert not any(ch.isdigit() for ch in redact(phone).replace("[phone]", ""))


@pytest.mark.parametrize("text", ["ff99cf6a936140c38e91d13812345678", "a13812345678b"])
def test_digit_runs_inside_ids_are_not_taken_for_phones(text: str) -> None:
    # a request id seen in a real log had "[phone]" in place of its last 11 hex digits
    assert redact(text) == text


def test_a_phone_after_chinese_text_is_still_redacted() -> None:
    assert redact("顾客手机13812345678已记录") == "顾客手机[phone]已记录"


def test_base64_payloads_and_data_urls_are_redacted() -> None:
    payload = base64.b64encode(os.urandom(300)).decode()
    assert redact(f"body={payload}") == "body=[base64]"
    assert redact(f"data:image/jpeg;base64,{payload} tail") == "[data-url] tail"


def test_ids_and_hashes_are_left_alone() -> None:
    text = "request 6b0dddef007c4cd5a1edaff3b3f20034 model skin-abc123-0f1e2d3c sha " + "a" * 64
    assert redact(text) == text


def test_json_lines_carry_extras_and_redact_them() -> None:
    record = logging.LogRecord("skinlab.access", logging.INFO, __file__, 1, "%s", ("x",), None)
    record.request_id = "r-1"
    record.path = "/users/13800138000/analyses"
    record.raw = b"\xff\xd8\xff"
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "INFO"
    assert line["logger"] == "skinlab.access"
    assert line["request_id"] == "r-1"
    assert line["path"] == "/users/[phone]/analyses"
    assert line["raw"] == "[3 bytes]"


def test_api_key_secrets_are_redacted_but_their_ids_kept() -> None:
    key = "skl_3f9a1c2b7d4e_" + "Ab-_9" * 6 + "xy"
    assert (
        redact(f"Authorization: Bearer {key}") == "Authorization: Bearer skl_3f9a1c2b7d4e_[secret]"
    )
