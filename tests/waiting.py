"""Polling for something another thread does (imported by name: ``tests/`` is on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``condition`` becomes true within ``timeout`` seconds (checked every 10 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
