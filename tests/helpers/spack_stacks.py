"""The pinned spack-packages (its `stacks/` and builtin recipes) for tests that read real spack
environments without running spack: SPACK_PACKAGES_ROOT, the checkout `.ci/pinned-spack` unpacks,
or the needed parts of the archive in ../shared/spack."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

from tests.helpers.project import REPO

ARCHIVES = sorted((REPO.parent / "shared" / "spack").glob("spack-packages-v*.tar.gz"))
UNPACKED = REPO / "build" / "pinned-spack" / "spack-packages"
# The stacks spack's CI builds for x86_64 Linux CPUs (the others target macOS, Windows, ARM or
# only GPUs); what a lab moving to labforge starts from.
X86_64_LINUX_CPU = ["aws-pcluster-x86_64_v4", "bootstrap-x86_64-linux-gnu", "build_systems", "data-vis-sdk",
                    "developer-tools-x86_64_v3-linux-gnu", "e4s", "e4s-cray-rhel", "e4s-cray-sles", "e4s-oneapi",
                    "hep", "ml-linux-x86_64-cpu", "radiuss", "radiuss-aws", "tools-sdk", "tutorial"]


def _usable(root: Path) -> bool:
    return (root / "stacks").is_dir() and (root / "repos" / "spack_repo" / "builtin" / "packages").is_dir()


def spack_packages(scratch: Path) -> Path | None:
    """A spack-packages tree with stacks and recipes, or None when none is at hand."""
    for given in (os.environ.get("SPACK_PACKAGES_ROOT"), UNPACKED):
        if given and _usable(Path(given)):
            return Path(given)
    if not ARCHIVES:
        return None
    with tarfile.open(ARCHIVES[-1]) as archive:
        wanted = [m for m in archive.getmembers() if m.isfile() and (
            "/stacks/" in m.name or (m.name.endswith("/package.py") and "/builtin/packages/" in m.name))]
        archive.extractall(scratch, members=wanted, filter="data")
    root = scratch / "spack-packages"
    return root if _usable(root) else None
