"""Run the external image tools: logged to a file, errors turned into clear messages."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable, Sequence

from ..spackbuild.report import RETRY_LINE
from .errors import LabforgeError, Problem

# What makes a registry error worth another try: the network or the server, not the request.
TRANSIENT = ("connection refused", "connection reset", "i/o timeout", "timeout", "eof", "502", "503", "504",
             "500 internal server error", "too many requests", "429", "temporarily unavailable", "no route to host")


def require(tool: str, package: str | None = None) -> str:
    path = shutil.which(tool)
    if not path:
        raise LabforgeError(Problem(tool, None, "", "not installed",
                                    f"install it (apt-get install {package or tool}) or run 'make demo'"))
    return path


# A fault of buildah itself, not of the build: for each RUN step buildah re-executes itself from
# a sealed memfd copy (containers/storage unshare.c), and the kernel may refuse the seal with
# EBUSY while the copy's pages are still busy. Seen once in CI; the same build passes when rerun.
BUILDER_FLAKES = ("sealing memfd copy: device or resource busy",)


def run(args: Sequence[str], log: Path | None = None, on_line: Callable[[str], None] | None = None,
        env: dict | None = None, check: bool = True, what: str | None = None,
        flakes: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Run a command, streaming its output to `log` and `on_line`; raise LabforgeError on failure.
    A failure whose output names one of `flakes` is run once more."""
    result = run_once(args, log, on_line, env)
    output = result.stdout.lower()
    if result.returncode != 0 and any(flake in output for flake in flakes):
        note = f"{RETRY_LINE}{what or Path(args[0]).name} hit a known fault of the tool itself; running it again"
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(note + "\n")
        if on_line:
            on_line(note)
        result = run_once(args, log, on_line, env)
    if check and result.returncode != 0:
        lines = result.stdout.splitlines()
        tail = " | ".join(lines[-5:]).strip()
        where = f"; full log: {log}" if log else ""
        raise LabforgeError(Problem(what or Path(args[0]).name, None, "",
                                    f"failed (exit {result.returncode}): {tail[-400:]}",
                                    f"see the output above{where}"))
    return result


def run_once(args: Sequence[str], log: Path | None, on_line: Callable[[str], None] | None,
             env: dict | None) -> subprocess.CompletedProcess:
    handle = open(log, "a", encoding="utf-8") if log else None
    lines: list[str] = []
    try:
        if handle:
            handle.write(f"$ {' '.join(args)}\n")
            handle.flush()
        # A process group of its own: cancelling labforge stops the tool and everything it started
        # (spack's build processes, buildah's RUN steps), not just the tool itself.
        proc = subprocess.Popen(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                                errors="replace", start_new_session=True)
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                lines.append(line)
                if handle:
                    handle.write(line)
                if on_line:
                    on_line(line.rstrip("\n"))
            code = proc.wait()
        except BaseException:  # cancelled (SIGTERM, Ctrl-C) or failed while reading
            stop(proc)
            raise
    finally:
        if handle:
            handle.close()
    return subprocess.CompletedProcess(list(args), code, "".join(lines), "")


def stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop `proc`'s whole process group: SIGTERM, then SIGKILL after `grace` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=grace)
            # the tool is gone; what it started may not be: a last SIGKILL to the group
            os.killpg(proc.pid, signal.SIGKILL)
            break
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            break


# A Harbor robot's name has a `$` (robot$project+name), which GitLab expands like a variable
# unless told not to: the commonest reason a pipeline's right password is refused.
AUTH_HINT = ("the registry refused the credentials: check LABFORGE_REGISTRY_USER and LABFORGE_REGISTRY_PASSWORD "
             "(or --authfile); a Harbor robot's name holds a '$' -- in GitLab, turn off 'Expand variable "
             "reference' for it (or write '$$')")


def refused_credentials(output: str) -> bool:
    low = output.lower()
    return "unauthorized" in low or "authentication required" in low


def is_transient(output: str) -> bool:
    low = output.lower()
    return any(marker in low for marker in TRANSIENT)


def with_retries(action: Callable[[], subprocess.CompletedProcess], attempts: int = 4, first_delay: float = 1.0,
                 what: str = "registry", sleep: Callable[[float], None] = time.sleep,
                 retryable: Callable[[str], bool] = is_transient) -> subprocess.CompletedProcess:
    """Retry failures that `retryable` accepts (by default transient registry errors) with
    exponential backoff; give up with one clear error."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        result = action()
        if result.returncode == 0:
            return result
        if not retryable(result.stdout) or attempt == attempts:
            tail = result.stdout.strip().splitlines()[-1:] or ["no output"]
            reason = "still failing" if attempt > 1 else "failed"
            raise LabforgeError(Problem(what, None, "", f"{reason} after {attempt} attempt(s): {tail[0][-300:]}",
                                        AUTH_HINT if refused_credentials(result.stdout) else
                                        "check that the registry is up and the credentials are right"))
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")
