"""Where the build stage's spack comes from: SPACK_ROOT, or a pinned release cloned from git."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from ..errors import LabforgeError, Problem
from ..project import Project

# Parts of a spack checkout the image build does not need.
_IGNORED = shutil.ignore_patterns(".git", "opt", "__pycache__", "*.pyc")


def ignored(folder: str, names: list[str]) -> set[str]:
    """What not to copy of a spack checkout: git data, installs, download caches, and the
    host's site configuration (etc/spack/*.yaml and etc/spack/site: mirrors, repos...), so the build is the same
    on every host; spack's defaults (etc/spack/defaults) stay."""
    skip = set(_IGNORED(folder, names))
    path = Path(folder)
    if (path.name == "spack" and path.parent.name == "etc") or path.parts[-3:] == ("etc", "spack", "site"):
        skip |= {n for n in names if n.endswith(".yaml") and n != "include.yaml"}
    if path.name == "spack" and path.parent.name == "var":
        skip |= {"cache"} & set(names)
    return skip


def _usable(root: Path) -> bool:
    return (root / "bin" / "spack").is_file() and (root / "share" / "spack" / "setup-env.sh").is_file()


def locate_spack(project: Project) -> Path:
    """A spack checkout for the build context; stop at once, naming both ways, when there is none."""
    env = os.environ.get("SPACK_ROOT")
    if env:
        root = Path(env)
        if not _usable(root):
            raise LabforgeError(Problem("SPACK_ROOT", None, "", f"{root} is not a spack checkout (no bin/spack)",
                                        "point SPACK_ROOT at a spack clone"))
        return root
    settings = project.settings.spack
    cache = project.build_dir / "cache" / f"spack-{settings.version}"
    if _usable(cache):
        return cache
    if cache.exists():  # not ours to delete: say so instead of cloning over it
        raise LabforgeError(Problem(str(cache), None, "", "exists but is not a spack checkout",
                                    "move it away, or set SPACK_ROOT to a spack checkout"))
    try:
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", settings.version, settings.url,
                        str(cache)], check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(cache, ignore_errors=True)
        raise LabforgeError(Problem(
            "spack", None, "", f"no spack: SPACK_ROOT is not set and {settings.url} ({settings.version}) "
            "cannot be cloned from here",
            "set SPACK_ROOT to a spack checkout, give this host internet access for the pinned clone, "
            "or build without tools with --no-spack")) from None
    return cache


def locate_packages() -> Path | None:
    """spack-packages (the builtin recipes) from SPACK_PACKAGES_ROOT, for builds without internet."""
    env = os.environ.get("SPACK_PACKAGES_ROOT")
    if not env:
        return None
    root = Path(env)
    if not (root / "repos" / "spack_repo" / "builtin" / "repo.yaml").is_file():
        raise LabforgeError(Problem("SPACK_PACKAGES_ROOT", None, "", f"{root} is not a spack-packages checkout",
                                    "point it at a clone of spack-packages at the tag paired with your spack"))
    return root


# What copy_into adds to a rendered build context (the render's marker lists them as owned).
CONTEXT_TREES = ("spack-src", "spack-packages")


def copy_into(context: Path, spack_root: Path, packages_root: Path | None) -> None:
    for name, source in zip(CONTEXT_TREES, (spack_root, packages_root)):
        target = context / name
        shutil.rmtree(target, ignore_errors=True)
        if source is None:
            target.mkdir()  # an empty directory: the Containerfile's COPY still works
        else:
            shutil.copytree(source, target, ignore=ignored, symlinks=True)
