"""The OS base image, made from Debian packages with mmdebstrap: no public image registry needed.

With SOURCE_DATE_EPOCH pinned, mmdebstrap writes a bit-identical tarball for the same package
set; `buildah commit --timestamp` then gives the same image digest.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import LabforgeError, Problem
from ..core.process import require, run

DEFAULT_MIRROR = "http://deb.debian.org/debian"
BASE_REPOSITORY = "localhost/labforge-base"


@dataclass(frozen=True)
class BaseImage:
    reference: str
    image_id: str
    built: bool


def base_reference(suite: str) -> str:
    return f"{BASE_REPOSITORY}:{suite}"


def image_id(reference: str) -> str | None:
    result = run(["buildah", "images", "--noheading", "--no-trunc", "--format", "{{.ID}}", reference],
                 check=False)
    ids = result.stdout.split()
    return ids[0] if result.returncode == 0 and ids else None


def build_base(suite: str, epoch: int, log: Path, mirror: str | None = None, force: bool = False,
               on_line=None, reference: str | None = None) -> BaseImage:
    """Make localhost/labforge-base:<suite> (or `reference`) unless it exists (or force)."""
    reference = reference or base_reference(suite)
    existing = image_id(reference)
    if existing and not force:
        return BaseImage(reference, existing, built=False)
    require("mmdebstrap")
    require("buildah")
    with tempfile.TemporaryDirectory(prefix="labforge-base-") as tmp:
        tarball = Path(tmp) / "base.tar"
        env = {"SOURCE_DATE_EPOCH": str(epoch), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"}
        run(["mmdebstrap", "--variant=minbase", "--quiet", "--aptopt=Acquire::Retries=3", suite, str(tarball),
             mirror or DEFAULT_MIRROR], log=log, env=env, on_line=on_line, what="mmdebstrap")
        container = run(["buildah", "from", "scratch"], log=log).stdout.strip().splitlines()[-1]
        try:
            run(["buildah", "add", "--quiet", container, str(tarball), "/"], log=log)
            run(["buildah", "config", "--env", "LANG=C.UTF-8", "--cmd", "/bin/bash",
                 "--label", f"org.opencontainers.image.title=labforge-base-{suite}",
                 "--label", f"org.labforge.base.suite={suite}",
                 "--label", f"org.labforge.base.mirror={mirror or DEFAULT_MIRROR}", container], log=log)
            run(["buildah", "commit", "--quiet", "--format", "oci", "--timestamp", str(epoch), container,
                 reference], log=log)
        finally:
            run(["buildah", "rm", container], log=log, check=False)
    built = image_id(reference)
    if not built:
        raise LabforgeError(Problem(reference, "base image missing after the build", f"see {log}"))
    return BaseImage(reference, built, built=True)
