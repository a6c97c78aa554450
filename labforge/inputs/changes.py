"""Which tools a change touches: for merge-request jobs that check and build only those."""

from __future__ import annotations

import subprocess
from pathlib import PurePosixPath

from ..core.errors import LabforgeError, Problem
from .project import Project
from .tools import load_all


def changed_paths(project: Project, base: str) -> list[str]:
    result = subprocess.run(["git", "-C", str(project.root), "diff", "--name-only", f"{base}...HEAD"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise LabforgeError(Problem("--base", f"git cannot compare with {base!r}: "
                                    f"{result.stderr.strip()[-200:]}",
                                    "fetch the target branch first (git fetch origin main) or pass --base REF"))
    return [line for line in result.stdout.splitlines() if line]


def changed_tools(project: Project, paths: list[str]) -> list[str]:
    """Tools whose submission changed, or whose own recipe (spack/packages/<package>/) changed."""
    tools, _ = load_all(project)
    by_package: dict[str, set[str]] = {}
    for name, loaded in tools.items():
        by_package.setdefault(loaded.tool.package, set()).add(name)
    names: set[str] = set()
    for path in map(PurePosixPath, paths):
        parts = path.parts
        if parts[:2] == ("spack", "tools") and path.suffix == ".yaml" and len(parts) == 3:
            names.add(path.stem)
        elif parts[:2] == ("spack", "packages") and len(parts) > 3:
            names |= by_package.get(parts[2], set())
    return sorted(names)
