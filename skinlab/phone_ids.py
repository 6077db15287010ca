"""Pseudonymous user ids from phone numbers, so a phone number is never stored.

``phone_user_id`` keys an HMAC-SHA256 with ``SKINLAB_PHONE_ID_SECRET``: the same phone always
gives the same id (the BA finds the customer again), and without the secret the id cannot be
turned back into the number by trying every phone number (only 10^11 of them).
"""

from __future__ import annotations

import hashlib
import hmac
import re

from skinlab.errors import InvalidInput

PHONE_ID_PREFIX = "ph:"
_SEPARATORS = re.compile(r"[\s\-().]")
_CN_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")
_INTERNATIONAL = re.compile(r"^(?:\+|00)([1-9]\d{7,14})$")


def normalise_phone(phone: str) -> str:
    """``phone`` in E.164 form (``+8613812345678``); mainland mobiles may omit ``+86``.

    Raises
    ------
    InvalidInput
        If it is not a mainland mobile number or an international number with its ``+``.
    """
    compact = _SEPARATORS.sub("", phone.strip())
    if mobile := _CN_MOBILE.fullmatch(compact):
        return f"+86{mobile.group(1)}"
    if international := _INTERNATIONAL.fullmatch(compact):
        return f"+{international.group(1)}"
    raise InvalidInput(
        "Not a phone number: use an 11-digit mainland mobile or +country code and number.",
        message_zh="手机号格式不正确：请输入11位手机号，或带 + 国家代码的号码。",
        code="INVALID_PHONE",
    )


def phone_user_id(phone: str, secret: str) -> str:
    """The pseudonymous user id of ``phone``: ``ph:`` and 24 hex digits of its HMAC-SHA256."""
    digest = hmac.new(secret.encode(), normalise_phone(phone).encode(), hashlib.sha256)
    return PHONE_ID_PREFIX + digest.hexdigest()[:24]
