"""When a registry operation is tried again: a fault of the network or the server is, with
exponential backoff; a refusal of the credentials never is (trying a wrong password four times
only locks a robot account out sooner), and the error then says how to fix the credentials."""

from __future__ import annotations

import subprocess
import time
from typing import Callable

from ..core.errors import LabforgeError, Problem

# What makes a registry error worth another try: the network or the server, not the request.
TRANSIENT = ("connection refused", "connection reset", "i/o timeout", "timeout", "eof", "502", "503", "504",
             "500 internal server error", "too many requests", "429", "temporarily unavailable", "no route to host")

# A Harbor robot's name has a `$` (robot$project+name), which GitLab expands like a variable
# unless told not to: the commonest reason a pipeline's right password is refused.
AUTH_HINT = ("the registry refused the credentials: check LABFORGE_REGISTRY_USER and LABFORGE_REGISTRY_PASSWORD "
             "(or --authfile); a Harbor robot's name holds a '$' -- in GitLab, turn off 'Expand variable "
             "reference' for it (or write '$$')")


def refused_credentials(output: str) -> bool:
    low = output.lower()
    return "unauthorized" in low or "authentication required" in low or " 401" in low


def is_transient(output: str) -> bool:
    low = output.lower()
    return not refused_credentials(output) and any(marker in low for marker in TRANSIENT)


def with_retries(action: Callable[[], subprocess.CompletedProcess], attempts: int = 4, first_delay: float = 1.0,
                 what: str = "registry", sleep: Callable[[float], None] = time.sleep,
                 retryable: Callable[[str], bool] = is_transient) -> subprocess.CompletedProcess:
    """Retry failures that `retryable` accepts (by default transient registry errors) with
    exponential backoff; a refusal of the credentials is never retried. Give up with one clear error."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        result = action()
        if result.returncode == 0:
            return result
        refused = refused_credentials(result.stdout)
        if refused or not retryable(result.stdout) or attempt == attempts:
            tail = result.stdout.strip().splitlines()[-1:] or ["no output"]
            reason = "still failing" if attempt > 1 else "failed"
            raise LabforgeError(Problem(what, f"{reason} after {attempt} attempt(s): {tail[0][-300:]}",
                                        AUTH_HINT if refused else
                                        "check that the registry is up and the credentials are right"))
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")
