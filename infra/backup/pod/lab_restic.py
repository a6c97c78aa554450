"""restic as the backup pods run it: the repository from the environment (RESTIC_REPOSITORY,
RESTIC_PASSWORD or RESTIC_PASSWORD_FILE, the object store's own variables), one line per failure.

Shipped unchanged into the backup pods (infra/backup); standard library only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

RESTIC = os.environ.get("RESTIC", "restic")
MISSING = ("is there a repository at the following location", "repository does not exist")
REFUSED = ("wrong password", "no key found", "401", "403", "unauthorized", "forbidden", "authentication")


class Failed(Exception):
    """One line: what failed and why (restic's last words)."""


def restic(*args: str, stdin=None, check: bool = True, timeout: float | None = None,
           cwd=None) -> subprocess.CompletedProcess:
    proc = subprocess.run([RESTIC, *args], input=stdin, capture_output=True, timeout=timeout, cwd=cwd)
    if check and proc.returncode != 0:
        raise Failed(f"restic {args[0]} failed: {reason(proc)}")
    return proc


def reason(proc: subprocess.CompletedProcess) -> str:
    lines = [line.strip() for line in proc.stderr.decode(errors="replace").splitlines() if line.strip()]
    last = next((line for line in reversed(lines) if not line.startswith(("Is there", "Stacktrace"))), "no output")
    return last[:300]


def open_repository(init: bool = False) -> None:
    """Check the repository answers and the password opens it; `init` makes it on first use (only
    when restic says none exists: a refused password or an unreachable store is never 'empty')."""
    probe = restic("cat", "config", check=False, timeout=600)
    if probe.returncode == 0:
        return
    said = probe.stderr.decode(errors="replace").lower()
    if any(word in said for word in REFUSED):
        raise Failed(f"the repository refused the credentials: {reason(probe)}")
    if init and any(word in said for word in MISSING):
        restic("init", timeout=600)
        return
    raise Failed(f"cannot open the repository: {reason(probe)}")


def snapshots(*filters: str) -> list[dict]:
    """The repository's snapshots (oldest first), each with `time`, `tags`, `host`, `paths`, `short_id`."""
    return json.loads(restic("snapshots", "--json", *filters, timeout=600).stdout or b"[]")


def main(run) -> None:
    """Run `run()`; a failure is one line on stderr and exit 1, never a traceback."""
    try:
        message = run()
    except Failed as failure:
        print(f"error: {failure}", file=sys.stderr)
        sys.exit(1)
    if message:
        print(message)
