"""The backup pods' scripts (infra/backup/pod) run as their CronJobs run them, with the real restic
and a repository of the test's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.project import REPO

POD = REPO / "infra" / "backup" / "pod"


def repository(folder: Path, password: str = "test-repository-password") -> dict:
    return {"RESTIC_REPOSITORY": str(folder), "RESTIC_PASSWORD": password, "KEEP_LAST": "3", "KEEP_HOURLY": "24",
            "KEEP_DAILY": "7"}


def run_script(script: str, env: dict, *args: str, timeout: float = 600, **popen) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(POD / script), *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=timeout, **popen)


def backup(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_script("lab_backup.py", env, *args)


def restore(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_script("lab_restore.py", env, *args)


def restic(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["restic", *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=600)


def tree(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder`: (kind, bytes or link target, mtime) by relative path."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = ("link", os.readlink(path), None)
        elif path.is_file():
            found[rel] = ("file", path.read_bytes(), path.stat().st_mtime_ns)
        else:
            found[rel] = ("dir", None, None)
    return found
