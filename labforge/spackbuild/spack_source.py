"""Where spack and its builtin recipes come from: SPACK_ROOT and SPACK_PACKAGES_ROOT, or the
pinned tags of labforge.yaml cloned from git once."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project

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


def _recipes(root: Path) -> bool:
    return (root / "repos" / "spack_repo" / "builtin" / "repo.yaml").is_file()


def _from_env(variable: str, usable, what: str) -> Path | None:
    value = os.environ.get(variable)
    if not value:
        return None
    root = Path(value)
    if not usable(root):
        raise LabforgeError(Problem(variable, f"{root} is not a {what}", f"point {variable} at a {what}"))
    return root


def _pinned_clone(project: Project, name: str, url: str, tag: str, usable, variable: str) -> Path:
    """build/cache/NAME-TAG: a shallow clone of the pinned tag, made once; a clear error offline."""
    cache = project.build_dir / "cache" / f"{name}-{tag}"
    if usable(cache):
        return cache
    if cache.exists():  # not ours to delete: say so instead of cloning over it
        raise LabforgeError(Problem(str(cache), f"exists but is not a {name} checkout",
                                    f"move it away, or set {variable} to a {name} checkout"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", tag, url, str(cache)],
                       check=True, capture_output=True, timeout=600)
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(cache, ignore_errors=True)
        raise LabforgeError(Problem(
            name, f"no {name}: {variable} is not set and {url} ({tag}) cannot be cloned from here",
            f"set {variable} to a {name} checkout, give this host internet access for the pinned clone, "
            "or build without tools with --no-spack")) from None
    return cache


def locate_spack(project: Project) -> Path:
    """A spack checkout: SPACK_ROOT, or the pinned release cloned once into build/cache."""
    settings = project.settings.spack
    return (_from_env("SPACK_ROOT", _usable, "spack checkout (no bin/spack)")
            or _pinned_clone(project, "spack", settings.url, settings.version, _usable, "SPACK_ROOT"))


def locate_packages(project: Project) -> Path:
    """The builtin recipes (spack-packages) at the tag paired with the pinned spack:
    SPACK_PACKAGES_ROOT, or cloned once; the image's spack never clones them itself."""
    settings = project.settings.spack
    return (_from_env("SPACK_PACKAGES_ROOT", _recipes, "spack-packages checkout")
            or _pinned_clone(project, "spack-packages", settings.packages_url, settings.packages_version,
                             _recipes, "SPACK_PACKAGES_ROOT"))


def host_environment() -> dict[str, str]:
    """The environment for spack run on this host: spack needs a Python with clingo
    (SPACK_PYTHON); labforge's own Python has it (requirements.lock), so nothing is bootstrapped."""
    env = dict(os.environ)
    if not env.get("SPACK_PYTHON") and importlib.util.find_spec("clingo") is not None:
        env["SPACK_PYTHON"] = sys.executable
    return env


# What copy_into adds to a rendered build context (the render's marker lists them as owned).
CONTEXT_TREES = ("spack-src", "spack-packages")


def copy_into(context: Path, spack_root: Path, packages_root: Path) -> None:
    for name, source in zip(CONTEXT_TREES, (spack_root, packages_root)):
        target = context / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, ignore=ignored, symlinks=True)
