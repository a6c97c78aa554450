"""The spack stage's part of a render: the release's lock, checked current, and the files the
build stage runs (install script, layer plan and the helper spack runs them with).

A render with tools needs a current lock: the image installs exactly the locked DAG and its
package layers are planned from it. `--no-spack` renders need none.
"""

from __future__ import annotations

from ..core.errors import LabforgeError, Problem
from ..inputs.project import Project
from ..inputs.releases import LoadedRelease
from ..locks.checks import roots_problems
from ..locks.layers import Layer, layers_json, plan_layers
from ..locks.lockfile import Lock, lock_path, release_lock
from ..locks.provenance import made_from, stale_reasons
from .templates import render

LAYERS_SCRIPT = "spack-layers.py"
INSTALL_SCRIPT = "spack-install.py"
MODULES_SCRIPT = "spack-modules.py"
STAGE_SCRIPT = "spack-stage.sh"


def lab_recipes(inputs: dict[str, bytes]) -> dict[str, bytes]:
    """The lab's own recipe files among a render's inputs (they decide package hashes)."""
    return {path: data for path, data in inputs.items() if path.startswith("spack/packages/")}


def current_inputs(project: Project, spack_yaml: bytes, inputs: dict[str, bytes]) -> dict:
    spack = project.settings.spack
    return made_from(spack_yaml, lab_recipes(inputs), spack.version, spack.packages_version)


def lock_problems(project: Project, loaded: LoadedRelease, spack_yaml: bytes,
                  inputs: dict[str, bytes]) -> tuple[Lock | None, list[Problem]]:
    """The release's lock and why it cannot be built from (missing, stale, unreadable)."""
    release_id = loaded.id
    shown = project.rel(lock_path(project.releases_dir, release_id))
    fix = f"run: labforge release lock {release_id} (needs spack), review and commit it; or build --no-spack"
    try:
        lock = release_lock(project, release_id)
    except LabforgeError as exc:
        return None, exc.problems
    if lock is None:
        return None, [Problem(shown, f"release {release_id} has tools but no lock", fix)]
    reasons = stale_reasons(lock, current_inputs(project, spack_yaml, inputs))
    if reasons:
        return lock, [Problem(shown, f"the lock is stale: {'; '.join(reasons)}", fix)]
    mismatch = roots_problems(lock.roots, lock.nodes, [spec for _, _, spec in loaded.specs()])
    if mismatch:
        return lock, [Problem(shown, f"does not match release {release_id}: {m}", fix, field="roots")
                      for m in mismatch]
    return lock, []


def require_current_lock(project: Project, loaded: LoadedRelease, spack_yaml: bytes,
                         inputs: dict[str, bytes]) -> Lock:
    lock, problems = lock_problems(project, loaded, spack_yaml, inputs)
    if problems or lock is None:
        raise LabforgeError(problems)
    return lock


def stage_scripts(project: Project) -> dict[str, bytes]:
    """The scripts spack-stage.sh runs (the spack-build stage copies them all), shipped unchanged:
    one list for the release's stage and a tool build's."""
    return {name: project.shipped_file("builder", name).read_bytes() for name in (LAYERS_SCRIPT, INSTALL_SCRIPT, MODULES_SCRIPT)}


def stage_files(project: Project, lock: Lock, ctx: dict) -> tuple[dict[str, bytes], list[Layer]]:
    layers = plan_layers(lock, project.settings.build.max_layers)
    tdir = project.template_dirs
    files = {
        "spack.lock": lock.spack_lock_bytes(),
        "layers.json": layers_json(layers),
        **stage_scripts(project),
        STAGE_SCRIPT: render(tdir, f"{STAGE_SCRIPT}.j2", ctx).encode(),
    }
    return files, layers
