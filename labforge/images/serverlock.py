"""`labforge runtime lock`: resolve the notebook server's pins (labforge.yaml and every
release's extras) with pip, and write images/notebook-server.constraints.txt."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from ..atomic import write_text
from ..errors import LabforgeError, Problem
from ..project import Project
from ..releases import release_ids, require_release
from ..serverpins import CONSTRAINTS, all_pins, constraints_text
from .run import run


def server_pins(project: Project) -> list[str]:
    extras = [list(require_release(project, rid).release.jupyterlab.extras) for rid in release_ids(project)]
    return all_pins(project, extras)


def lock_server(project: Project) -> tuple[Path, int]:
    pins = server_pins(project)
    with tempfile.TemporaryDirectory(prefix="labforge-runtime-lock-") as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text("".join(f"{pin}\n" for pin in pins))
        report = Path(tmp) / "report.json"
        # A dry run resolves what the image's `pip install` would install, without installing.
        result = run([sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
                      "--report", str(report), "-r", str(requirements)], check=False)
        if result.returncode != 0 or not report.exists():
            raise LabforgeError(Problem("pip", None, "", f"could not resolve the notebook server's pins: "
                                        f"{result.stdout.strip()[-300:]}", "check the pins and that PyPI is reachable"))
        installed = json.loads(report.read_text())["install"]
    resolved = [f"{item['metadata']['name']}=={item['metadata']['version']}" for item in installed]
    path = project.root / "images" / CONSTRAINTS
    write_text(path, constraints_text(pins, resolved))
    return path, len(resolved)
