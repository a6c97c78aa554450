"""`labforge release test`: run the shipped testinfra suite on a built image's root filesystem.

The notebook image gets test_user.py + test_image.py; each batch tool image (--tools) gets
test_user.py + test_batch_image.py, told which tool version it holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ...buildah.store import mounted, require_image, require_local_image
from ...core.errors import LabforgeError, Problem
from ...core.process import require
from ...inputs.project import Project

SUITE = Path(__file__).resolve().parent
NOTEBOOK_SUITE = ("test_user.py", "test_image.py", "test_lab_env.py", "test_lab_env_spack.py")
BATCH_SUITE = ("test_user.py", "test_batch_image.py")


def run_suite(project: Project, reference: str, config: dict, files: tuple[str, ...], name: str,
              ca_certs: list[str] | None = None, extra_env: dict[str, str] | None = None,
              extra_args: list[str] | None = None) -> int:
    """Mount the image (buildah mount, as root), run pytest on it, clean up; return pytest's exit code."""
    if os.geteuid() != 0:
        raise LabforgeError(Problem("labforge release test", "needs root to mount the image",
                                    "run as root, or inside 'buildah unshare'"))
    logs = project.build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    config_file = logs / f"{name}-image-config.json"
    config_file.write_text(json.dumps(config))
    with mounted(reference) as rootfs:
        image = project.settings.image
        env = {**os.environ, "LABFORGE_ROOTFS": str(rootfs), "LABFORGE_IMAGE_CONFIG": str(config_file),
               "LABFORGE_SETTINGS": json.dumps({"user": image.user, "uid": image.uid,
                                                "mounts": image.mounts.model_dump()}),
               "LABFORGE_BUILD_CA": os.pathsep.join(list(ca_certs or []) + list(project.settings.build.ca_certs)),
               **(extra_env or {})}
        args = [sys.executable, "-m", "pytest", *[str(SUITE / f) for f in files], "-p", "no:cacheprovider",
                "-o", "addopts=", "--rootdir", str(SUITE), "-q", "-rs", *(extra_args or [])]
        return subprocess.run(args, env=env, cwd=str(SUITE)).returncode


def test_release(project: Project, release_id: str, ca_certs: list[str] | None = None,
                 extra_args: list[str] | None = None) -> int:
    require("buildah")
    reference, config = require_local_image(release_id)
    return run_suite(project, reference, config, NOTEBOOK_SUITE, release_id, ca_certs, extra_args=extra_args)


def test_batch_images(project: Project, release_id: str, ca_certs: list[str] | None = None) -> dict[str, int]:
    """Every batch image of the release: reference -> pytest's exit code."""
    from ...buildah.batch import release_batch_images

    require("buildah")
    codes = {}
    for image in release_batch_images(project, release_id).images:
        reference = image.local_reference()
        config = require_image(reference, f"labforge release build {release_id} --tools")
        batch = {"tool": image.tool, "version": image.version, "module": image.module, "command": image.command,
                 "tests": image.tests.model_dump()}
        codes[reference] = run_suite(project, reference, config, BATCH_SUITE, f"{release_id}-{image.stage}",
                                     ca_certs, {"LABFORGE_BATCH": json.dumps(batch)})
    return codes
