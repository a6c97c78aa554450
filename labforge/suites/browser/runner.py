"""`labforge release test ID --browser`: the Lab as users meet it, in Debian's chromium.

The suite (labforge/suites/browser) serves the image with `release try`, drives chromium through
chromedriver with Selenium, and leaves screenshots in build/screenshots/ID/.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ...buildah.store import require_local_image
from ...core.errors import LabforgeError, Problem
from ...inputs.project import Project
from ...inputs.releases import require_release
from ...render.kernel import kernel_label, r_kernel_label

SUITE = Path(__file__).resolve().parent
BROWSER = ("chromium", "chromedriver")


def require_browser() -> dict[str, str]:
    found = {name: shutil.which(name) for name in BROWSER}
    missing = [name for name, path in found.items() if not path]
    if missing:
        raise LabforgeError(Problem(" and ".join(missing), "not installed (the browser suite drives them)",
                                    "apt-get install chromium chromium-driver, or run 'make system'"))
    return found


def release_facts(project: Project, release_id: str, config: dict) -> dict:
    """What the suite expects of the image (`config`: its local config): its kernels (the R one
    for a release with R tools), and the tools when spack built them."""
    loaded = require_release(project, release_id)
    labels = config.get("Labels") or {}
    tools = [{"package": loaded.tools[e.name].tool.package, "versions": list(e.versions),
              "default": e.default_version, "imports": list(loaded.tools[e.name].tool.tests.imports)}
             for e in loaded.release.tools]
    with_tools = labels.get("org.labforge.spack-stage") == "built"
    return {"id": release_id, "kernel": loaded.release.kernel_name, "kernel_label": kernel_label(loaded.release),
            "r_kernel_label": r_kernel_label(loaded.release) if with_tools and loaded.has_r else None,
            "with_tools": with_tools, "tools": tools}


def browser_test(project: Project, release_id: str, extra_args: list[str] | None = None) -> int:
    """Run the browser suite on the release's local image; pytest's exit code."""
    browser = require_browser()
    reference, config = require_local_image(release_id)
    shots = project.build_dir / "screenshots" / release_id
    shots.mkdir(parents=True, exist_ok=True)
    env = {"LABFORGE_PROJECT": str(project.root), "LABFORGE_REFERENCE": reference,
           "LABFORGE_RELEASE": json.dumps(release_facts(project, release_id, config)),
           "LABFORGE_SCREENSHOTS": str(shots), "LABFORGE_CHROMIUM": browser["chromium"],
           "LABFORGE_CHROMEDRIVER": browser["chromedriver"]}
    args = [sys.executable, "-m", "pytest", str(SUITE), "-p", "no:cacheprovider", "-o", "addopts=",
            "--rootdir", str(SUITE), "-q", "-rs", *(extra_args or [])]
    return subprocess.run(args, env={**os.environ, **env}, cwd=str(SUITE)).returncode
