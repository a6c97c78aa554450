"""Run the external image tools: logged to a file, errors turned into clear messages."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Callable, Sequence

from .errors import LabforgeError, Problem


def require(tool: str, package: str | None = None) -> str:
    path = shutil.which(tool)
    if not path:
        raise LabforgeError(Problem(tool, "not installed",
                                    f"install it (apt-get install {package or tool}) or run 'make demo'"))
    return path


# A fault of buildah itself, not of the build: for each RUN step buildah re-executes itself from
# a sealed memfd copy (containers/storage unshare.c), and the kernel may refuse the seal with
# EBUSY while the copy's pages are still busy. Seen once in CI; the same build passes when rerun.
BUILDER_FLAKES = ("sealing memfd copy: device or resource busy",)


# A line a rerun tool's log gets, so readers of the log (spackbuild.report) forget what came before.
RETRY_LINE = "labforge-retry: "


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
        raise LabforgeError(Problem(what or Path(args[0]).name, f"failed (exit {result.returncode}): {tail[-400:]}",
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
