"""A release fake-installed by the real spack on the host (`spack install --fake`: no compiler,
no sources): with its Lmod tree, for the module and kernel tests; or a few of its locked
packages, for the build cache tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from labforge.inputs.project import Project
from labforge.inputs.releases import require_release
from tests.helpers.project import REPO
from tests.helpers.spack_marks import SPACK_ROOT

LMOD_INIT = "/usr/share/lmod/lmod/init/bash"


def spack(*args: str, cwd: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(SPACK_ROOT) / "bin" / "spack"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def lmod(modulepath: Path, command: str) -> subprocess.CompletedProcess:
    script = f"export MODULEPATH={modulepath}; source {LMOD_INIT}; {command}"
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)


def fake_install(release_id: str, tmp_path: Path, project: Project | None = None, collect: bool = False) -> Path:
    """The release's Lmod Core folder after a fake install (python-venv as an external, since a
    fake one has no interpreter) of `project`'s release (this repository's by default), in
    tmp_path/software with its environment in tmp_path/env; `collect`: build-only packages
    removed, as the release's image build does (`spack gc`)."""
    from labforge.render.release import spack_environment
    from labforge.spackbuild.concretize import host_environment

    tmp_path.mkdir(parents=True, exist_ok=True)
    project = project or Project(REPO)
    spack_yaml, _ = spack_environment(project, require_release(project, release_id))
    data = yaml.safe_load(spack_yaml)
    data["spack"]["packages"]["python-venv"] = {"buildable": False,
                                                "externals": [{"spec": "python-venv@1.0", "prefix": "/usr"}]}
    env = host_environment(yaml.safe_dump(data).encode(), project, tmp_path)
    scope = ["-C", str(tmp_path / "scope")]
    (tmp_path / "scope").mkdir()
    packages = os.environ.get("SPACK_PACKAGES_ROOT")
    if packages:
        (tmp_path / "scope" / "repos.yaml").write_text(
            yaml.safe_dump({"repos": {"builtin": f"{packages}/repos/spack_repo/builtin"}}))
    steps = [(["concretize", "--fresh"], 1800), (["install", "--fake"], 1800)] + ([(["gc", "-y"], 600)] if collect else [])
    for args, timeout in steps + [(["module", "lmod", "refresh", "-y", "--delete-tree"], 600)]:
        result = spack(*scope, "-e", str(env), *args, cwd=env, timeout=timeout)
        assert result.returncode == 0, result.stderr[-2000:]
    return tmp_path / "modules" / "linux-debian12-x86_64" / "Core"


def locked_environment(project: Project, release_id: str, scratch: Path) -> tuple[Path, dict[str, str]]:
    """The release's environment with its committed lock, in `scratch` (nothing is concretized),
    and the pinned spack's command-line scope for it."""
    from labforge.locks.lockfile import release_lock
    from labforge.render.release import spack_environment
    from labforge.spackbuild.concretize import config_scope, host_environment

    scratch.mkdir(parents=True)
    spack_yaml, _ = spack_environment(project, require_release(project, release_id))
    env = host_environment(spack_yaml, project, scratch, lock=release_lock(project, release_id).spack)
    packages = os.environ.get("SPACK_PACKAGES_ROOT")
    return env, {"scope": str(config_scope(scratch, Path(packages) if packages else None))}


def spack_in(env: Path, scope: dict[str, str], *args: str, timeout: int = 600) -> str:
    """Run spack in the environment; its output, or the test fails with it."""
    result = spack("-C", scope["scope"], "-e", str(env), *args, cwd=env, timeout=timeout)
    assert result.returncode == 0, f"spack {' '.join(args)}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout + result.stderr


def leaves(project: Project, release_id: str, count: int) -> list[str]:
    """`count` locked packages built from source whose dependencies are all externals (python,
    gcc): they fake-install on their own (a fake python has no interpreter for its dependents)."""
    from labforge.locks.lockfile import release_lock

    nodes = release_lock(project, release_id).nodes
    built = {h for h, node in nodes.items() if not node.external}
    found = sorted(h for h in built if not any(dep in built for _, dep, _ in nodes[h].deps))[:count]
    assert len(found) == count
    return found
