"""A tool version in the context of a release: its spack environment, concretized on this host
reusing the release's locked packages (same externals and target), and what it adds.

Used by `labforge tool build` and `labforge tool check --concretize`.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project
from ..inputs.releases import LoadedRelease, release_ids, require_release
from ..inputs.tools import LoadedTool, load_all
from ..locks.lockfile import Lock
from ..render.release import spack_environment
from ..render.spackstage import require_current_lock
from .concretize import concretize, host_environment, pinned_spack


@dataclass(frozen=True)
class ToolTarget:
    tool: LoadedTool
    version: str
    spec: str
    release: LoadedRelease
    release_lock: Lock
    release_yaml: bytes  # the release's spack.yaml

    @property
    def title(self) -> str:
        return f"{self.tool.tool.name}@{self.version} on release {self.release.release.id}"

    @property
    def module(self) -> str:
        return f"{self.tool.tool.package}/{self.version}"


@dataclass(frozen=True)
class Concretized:
    lock: Lock
    reused: list[str]  # hashes the release has already
    new: list[str]  # hashes the tool adds (build-only ones included)
    new_installed: list[str]  # run-time packages the release image lacks: the tool image's layers
    seconds: float


def default_release(project: Project) -> str:
    stable = [r for r in release_ids(project) if r[:1].isdigit()]
    if not stable:
        raise LabforgeError(Problem("releases/", "no stable release to build against",
                                    "pass --release ID"))
    return max(stable)


def resolve(project: Project, wanted: str, release_id: str | None) -> ToolTarget:
    """NAME[@VERSION] against a release (default: the newest stable one); the tool's default
    version when none is given."""
    name, _, version = wanted.partition("@")
    tools, problems = load_all(project, [name])
    if problems:
        raise LabforgeError(problems)
    loaded_tool = tools[name]
    tool = loaded_tool.tool
    version = version or tool.default
    if version not in tool.offered():
        raise LabforgeError(Problem(project.rel(loaded_tool.path), f"{name} {version} is not offered",
                                    f"offered: {', '.join(tool.offered())}; add it to the submission first", field="versions"))
    release = require_release(project, release_id or default_release(project))
    release_yaml, inputs = spack_environment(project, release)
    lock = require_current_lock(project, release, release_yaml, inputs)
    return ToolTarget(loaded_tool, version, tool.spec_for(version), release, lock, release_yaml)


def tool_environment(target: ToolTarget, reuse_from: str | None = None) -> bytes:
    """The release's environment with only this tool version as its root (and its Lmod
    default); `reuse_from`: the release environment's folder, for concretizing."""
    data = yaml.safe_load(target.release_yaml)
    env = data["spack"]
    env["specs"] = [target.spec]
    env["modules"]["default"]["lmod"]["defaults"] = [target.spec]
    env["concretizer"]["unify"] = True
    if reuse_from:
        # Only the release's packages are candidates: the tool lands on exactly its DAG.
        env["concretizer"]["reuse"] = {"roots": True, "from": [{"type": "environment", "path": reuse_from}]}
    return yaml.safe_dump(data, sort_keys=False).encode()


def concretize_tool(project: Project, target: ToolTarget, log: Path,
                    on_line: Callable[[str], None] | None = None) -> Concretized:
    start = time.monotonic()
    spack_root, packages, _ = pinned_spack(project)
    with tempfile.TemporaryDirectory(prefix="labforge-tool-") as tmp:
        scratch = Path(tmp)
        release_env = host_environment(target.release_yaml, project, scratch, "release", target.release_lock.spack)
        env = host_environment(tool_environment(target, str(release_env)), project, scratch, "tool")
        spack_lock = concretize(spack_root, packages, env, scratch, log, on_line, target.title, fresh=False)
    lock = Lock(None, spack_lock, {})
    known = set(target.release_lock.nodes)
    in_image = set(target.release_lock.runtime_closure())
    new = sorted(h for h in lock.nodes if h not in known)
    # What the tool image adds to the release image: run-time packages the image lacks (a
    # release's build-only package can be a run-time one of the tool).
    adds = [h for h in lock.runtime_closure() if h not in in_image]
    return Concretized(lock, sorted(known & set(lock.nodes)), new, adds, time.monotonic() - start)
