"""`labforge release test`: run the shipped testinfra suite on a built image's root filesystem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..errors import LabforgeError, Problem
from ..project import Project
from .build import mounted, require_local_image
from .run import require

SUITE = Path(__file__).resolve().parents[1] / "imagetests"


def test_release(project: Project, release_id: str, ca_certs: list[str] | None = None,
                 extra_args: list[str] | None = None) -> int:
    """Mount the image (buildah mount, as root), run pytest on it, clean up; return pytest's exit code."""
    require("buildah")
    reference, config = require_local_image(release_id)
    if os.geteuid() != 0:
        raise LabforgeError(Problem("labforge release test", None, "", "needs root to mount the image",
                                    "run as root, or inside 'buildah unshare'"))
    logs = project.build_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    config_file = logs / f"{release_id}-image-config.json"
    config_file.write_text(json.dumps(config))
    with mounted(reference) as rootfs:
        image = project.settings.image
        env = {**os.environ, "LABFORGE_ROOTFS": str(rootfs), "LABFORGE_IMAGE_CONFIG": str(config_file),
               "LABFORGE_SETTINGS": json.dumps({"user": image.user, "uid": image.uid,
                                                "mounts": image.mounts.model_dump()}),
               "LABFORGE_BUILD_CA": os.pathsep.join(list(ca_certs or []) + list(project.settings.build.ca_certs))}
        args = [sys.executable, "-m", "pytest", str(SUITE), "-p", "no:cacheprovider", "-o", "addopts=",
                "--rootdir", str(SUITE), "-q", "-rs", *(extra_args or [])]
        return subprocess.run(args, env=env, cwd=str(SUITE)).returncode
