"""Requests per API key, counted with the ``limits`` library (moving window).

``create_app`` builds one ``KeyRateLimiter`` from ``SKINLAB_RATE_LIMIT`` and
``SKINLAB_RATE_LIMIT_STORAGE_URL``; the principal dependency in ``serving.auth`` charges every
authenticated request to its key. In memory (the default) each worker process counts alone, so
``--workers N`` allows up to N times the rate; a Redis URL shares one count.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from skinlab.errors import SkinlabError


class RateLimited(SkinlabError):
    status = 429
    code = "RATE_LIMITED"
    message = "Too many requests with this API key; retry after the number of seconds given."
    message_zh = "该密钥的请求过于频繁，请按 Retry-After 指定的秒数后重试。"
    hint = "Wait for Retry-After seconds, or ask for a higher limit."
    hint_zh = "请等待 Retry-After 指定的秒数，或申请提高限额。"

    def __init__(self, retry_after_s: int, limit: str) -> None:
        super().__init__(details={"retry_after_s": retry_after_s, "limit": limit})
        self.response_headers = {"Retry-After": str(retry_after_s)}


class KeyRateLimiter:
    """Charge one request to an identity; raise ``RateLimited`` once any limit is spent.

    Parameters
    ----------
    rate : str
        Limits as ``limits`` parses them, e.g. ``"120/minute"`` or ``"5/second;100/minute"``;
        empty means no limit.
    storage_url : str
        Where counters live: ``memory://`` or any ``limits`` storage URL (``redis://...``).
    """

    def __init__(self, rate: str, storage_url: str = "memory://") -> None:
        self.rate = rate
        self.items: list[RateLimitItem] = parse_many(rate) if rate.strip() else []
        self._strategy = MovingWindowRateLimiter(storage_from_string(storage_url))

    def charge(self, identity: str) -> None:
        """Count one request by ``identity``; raise ``RateLimited`` if it is over a limit."""
        for item in self.items:
            if not self._strategy.hit(item, identity):
                reset_at = self._strategy.get_window_stats(item, identity).reset_time
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise RateLimited(retry_after, str(item))
