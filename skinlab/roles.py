"""The roles an API key can have (a module of its own so ``skinlab --help`` stays light)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who a key belongs to; ``serving.auth.ROLE_MATRIX`` says what each may call."""

    MINIPROGRAM = "miniprogram"
    STORE = "store"
    DATA_SCIENTIST = "data_scientist"
    ADMIN = "admin"
