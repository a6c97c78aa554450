"""`labforge release lock`: concretize a release's spack environment on the build host and write
`releases/<id>.lock.json` (spack's spack.lock plus what it was made from).

Spack comes from SPACK_ROOT (or the pinned clone), the builtin recipes from SPACK_PACKAGES_ROOT
(or spack's own clone of them); the environment is the one the image installs, with its paths
pointed at a scratch directory: same externals, same target, so the hashes are the image's.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

from ..core.atomic import write_bytes
from ..core.errors import LabforgeError, Problem
from ..core.process import run
from ..inputs.project import Project
from ..inputs.releases import require_release
from ..locks.lockfile import Lock, lock_bytes, lock_path
from ..render.release import spack_environment
from ..render.spackstage import current_inputs
from . import spack_source


@dataclass(frozen=True)
class LockResult:
    release_id: str
    path: Path
    nodes: int
    installed: int
    seconds: float


def spack_version(spack: Path) -> str:
    result = run([str(spack / "bin" / "spack"), "--version"], check=False, env=spack_source.host_environment())
    return result.stdout.strip().splitlines()[-1] if result.returncode == 0 and result.stdout.strip() else "unknown"


def check_pinned(project: Project, spack: Path) -> str:
    """The spack version of `spack`; stop when labforge.yaml pins another one."""
    found = spack_version(spack)
    pinned = project.settings.spack.version.removeprefix("v")
    if found.split()[0] != pinned:
        raise LabforgeError(Problem("SPACK_ROOT", f"{spack} is spack {found}, labforge.yaml pins {pinned}",
                                    "point SPACK_ROOT at the pinned spack, or change spack.version deliberately"))
    return found


def pinned_spack(project: Project) -> tuple[Path, Path, str]:
    """Spack's checkout, the builtin recipes and spack's version;
    stops when it is not the spack labforge.yaml pins."""
    spack_root = spack_source.locate_spack(project)
    return spack_root, spack_source.locate_packages(project), check_pinned(project, spack_root)


def git_commit(folder: Path | None) -> str | None:
    if folder is None or not (folder / ".git").exists():
        return None
    result = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True)
    return result.stdout.strip() or None


def host_environment(spack_yaml: bytes, project: Project, scratch: Path, name: str = "env",
                     lock: dict | None = None) -> Path:
    """The image's environment with its paths moved to `scratch` and the lab's recipes here
    (in `scratch/name`, with `lock` as its spack.lock when given)."""
    data = yaml.safe_load(spack_yaml)
    env = data["spack"]
    env["repos"] = [str(project.spack_repo)]
    env["config"]["install_tree"]["root"] = str(scratch / "software")
    env["config"]["build_stage"] = [str(scratch / "stage")]
    env["config"]["source_cache"] = str(scratch / "sources")
    env["modules"]["default"]["roots"]["lmod"] = str(scratch / "modules")
    folder = scratch / name
    folder.mkdir()
    (folder / "spack.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    if lock is not None:
        (folder / "spack.lock").write_text(json.dumps(lock))
    return folder


def config_scope(scratch: Path, packages: Path | None) -> Path:
    """A command-line config scope: the builtin recipes at the pinned tag, when given."""
    scope = scratch / "scope"
    scope.mkdir(exist_ok=True)
    if packages is not None:
        builtin = packages / "repos" / "spack_repo" / "builtin"
        (scope / "repos.yaml").write_text(yaml.safe_dump({"repos": {"builtin": str(builtin)}}))
    return scope


def concretize(spack_root: Path, packages: Path | None, env: Path, scratch: Path, log: Path,
               on_line: Callable[[str], None] | None, what: str, fresh: bool = True) -> dict:
    """Run `spack concretize` on the environment folder `env`; its spack.lock content."""
    scope = config_scope(scratch, packages)
    command = [str(spack_root / "bin" / "spack"), "-C", str(scope), "-e", str(env), "concretize"]
    run(command + (["--fresh"] if fresh else []), log=log, on_line=on_line, what=f"spack concretize of {what}",
        env=spack_source.host_environment())
    return json.loads((env / "spack.lock").read_text())


def lock_release(project: Project, release_id: str, on_line: Callable[[str], None] | None = None) -> LockResult:
    start = time.monotonic()
    loaded = require_release(project, release_id)
    spack_root, packages, version = pinned_spack(project)
    spack_yaml, inputs = spack_environment(project, loaded)
    log = project.build_dir / "logs" / f"{release_id}-lock.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("")
    with tempfile.TemporaryDirectory(prefix=f"labforge-lock-{release_id}-") as tmp:
        scratch = Path(tmp)
        env = host_environment(spack_yaml, project, scratch)
        spack_lock = concretize(spack_root, packages, env, scratch, log, on_line, f"release {release_id}")
    record = {
        **current_inputs(project, spack_yaml, inputs),
        # For people: exactly which spack and recipes solved it (not compared for staleness).
        "spack_seen": version,
        "spack_commit": (spack_lock.get("spack") or {}).get("commit") or git_commit(spack_root),
        "spack_packages_commit": git_commit(packages),
        "target": project.settings.spack.target,
    }
    data = lock_bytes(spack_lock, record)
    path = lock_path(project.releases_dir, release_id)
    write_bytes(path, data)
    lock = Lock(path, spack_lock, record)
    return LockResult(release_id, path, len(lock.nodes), len(lock.runtime_closure()), time.monotonic() - start)
