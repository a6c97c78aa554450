"""Waiting for a process the tests started to answer: one loop for every helper."""

from __future__ import annotations

import time
from typing import Callable


def wait_until(check: Callable[[], object], what: str, timeout: float = 60, interval: float = 0.3,
               alive: Callable[[], None] | None = None) -> None:
    """Until `check()` is true (connection errors count as not yet); `alive()` may raise when the
    process waited for has stopped. AssertionError naming `what` when the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:  # urllib's URLError is one
            pass
        if alive is not None:
            alive()
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
