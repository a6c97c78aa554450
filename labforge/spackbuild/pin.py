"""`release import --pin concretized`: the versions spack concretizes an imported environment's
roots to, in the environment the image would install them in (the OS compiler and Python as
externals, labforge.yaml's target, the release's package rules), with the pinned spack."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import yaml

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project
from ..inputs.releases import load_release, release_ids
from ..inputs.tools import load_all
from ..render.release import spack_environment
from .concretize import concretize, host_environment, pinned_spack


def concretizer_for(project: Project, suite: str, required: bool) -> Callable | None:
    """A function pinning roots with spack; None when spack is not at hand and `required` is not
    set (--pin auto: without SPACK_ROOT the recipes' preferred versions are read instead)."""
    if not required and not os.environ.get("SPACK_ROOT"):
        return None
    spack_root, packages, _ = pinned_spack(project)
    skeleton = _skeleton(project, suite)

    def concretized(roots: list[str], rules: dict[str, dict]) -> dict[str, str]:
        data = yaml.safe_load(skeleton)
        env = data["spack"]
        env["specs"] = roots
        for name, rule in rules.items():
            if name == "all":
                env["packages"]["all"]["require"] += rule.get("require", [])
                env["packages"]["all"] |= {k: v for k, v in rule.items() if k != "require"}
            else:
                env["packages"][name] = rule
        log = project.build_dir / "logs" / "import-pin.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("")
        with tempfile.TemporaryDirectory(prefix="labforge-import-") as tmp:
            scratch = Path(tmp)
            folder = host_environment(yaml.safe_dump(data).encode(), project, scratch)
            lock = concretize(spack_root, packages, folder, scratch, log, None, "the imported roots")
        nodes = lock.get("concrete_specs") or {}
        chosen: dict[str, str] = {}
        for root in lock.get("roots") or []:
            node = nodes.get(root.get("hash")) or {}
            if node.get("name") and node.get("version"):
                chosen.setdefault(node["name"], str(node["version"]))
        return chosen

    return concretized


def _skeleton(project: Project, suite: str) -> bytes:
    """The spack.yaml of the newest stable release on `suite`: the image's environment, whose
    specs and rules the imported ones replace."""
    tools, _ = load_all(project)
    for release_id in sorted((r for r in release_ids(project) if r[:1].isdigit()), reverse=True):
        loaded, problems = load_release(project, release_id, tools)
        if loaded is not None and not problems and loaded.release.base.suite == suite:
            return spack_environment(project, loaded)[0]
    raise LabforgeError(Problem("--pin concretized", f"no valid stable release on {suite} to concretize beside",
                                "cut one first, or pass --pin preferred"))
