"""`labforge runtime lock`: resolve the notebook server's pins (labforge.yaml and every
release's extras) with pip, and write images/notebook/runtime.constraints.txt."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ..core.atomic import write_text
from ..core.errors import LabforgeError, Problem
from ..core.process import run
from ..inputs.platforms import PLATFORMS
from ..inputs.project import Project
from ..inputs.releases import Release, release_ids, require_release
from ..inputs.runtime_pins import all_pins, constraints_text

SYSTEM_PYTHON = "/usr/bin/python3"


def image_python(releases: list[Release]) -> str:
    """The OS Python of the images' suite: dependencies are resolved for exactly that version
    (a package's Requires-Python can tell 3.11.2 from 3.11.7)."""
    wanted = {PLATFORMS[release.base.suite].python_full for release in releases}
    found = run([SYSTEM_PYTHON, "-c", "import platform; print(platform.python_version())"], check=False)
    version = found.stdout.strip() if found.returncode == 0 else "none"
    if wanted != {version}:
        raise LabforgeError(Problem(SYSTEM_PYTHON, f"is Python {version}; the images' Python is "
                                    f"{', '.join(sorted(wanted))}",
                                    "run labforge runtime lock on a host of the images' Debian suite "
                                    "(with python3-venv), or inside the base image"))
    return SYSTEM_PYTHON


def lock_server(project: Project) -> tuple[Path, int]:
    releases = [require_release(project, rid).release for rid in release_ids(project)]
    pins = all_pins(project, [list(release.jupyterlab.extras) for release in releases])
    python = image_python(releases)
    with tempfile.TemporaryDirectory(prefix="labforge-runtime-lock-") as tmp:
        venv = Path(tmp) / "venv"
        run([python, "-m", "venv", str(venv)], what="python3 -m venv (needs python3-venv)")
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text("".join(f"{pin}\n" for pin in pins))
        report = Path(tmp) / "report.json"
        # A dry run resolves what the image's `pip install` would install, without installing.
        result = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                      "--report", str(report), "-r", str(requirements)], check=False)
        if result.returncode != 0 or not report.exists():
            raise LabforgeError(Problem("pip", f"could not resolve the notebook server's pins: "
                                        f"{result.stdout.strip()[-300:]}", "check the pins and that PyPI is reachable"))
        installed = json.loads(report.read_text())["install"]
    resolved = [f"{item['metadata']['name']}=={item['metadata']['version']}" for item in installed]
    path = project.runtime_constraints
    write_text(path, constraints_text(pins, resolved))
    return path, len(resolved)
