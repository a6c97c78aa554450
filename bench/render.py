"""Validate and render a synthetic release of 100 tools x 3 versions; print the median time.

Target (issue 2): under 0.5 s. Run: make bench (or .venv/bin/python -m bench.render).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from labforge.inputs.project import Project
from labforge.inputs.releases import load_release
from labforge.inputs.tools import load_all
from labforge.render.release import render_release

REPO = Path(__file__).resolve().parents[1]

TOOLS, VERSIONS, RUNS = 100, 3, 15


def synthetic_project(root: Path) -> Project:
    shutil.copytree(REPO / "images", root / "images")
    shutil.copy2(REPO / "labforge.yaml", root / "labforge.yaml")
    (root / "spack" / "tools").mkdir(parents=True)
    (root / "spack" / "repo.yaml").write_text("repo:\n  namespace: labforge\n")
    (root / "releases").mkdir()
    entries = []
    for i in range(TOOLS):
        name = f"tool-{i:03d}"
        versions = [f"{i % 7}.{minor}.0" for minor in range(VERSIONS)]
        (root / "spack" / "tools" / f"{name}.yaml").write_text(
            f"name: {name}\npackage: {name}\nsummary: synthetic tool {i}\nhomepage: https://example.org/{name}\n"
            f"maintainers: [bench@example.org]\nlicense: MIT\nversions:\n"
            + "".join(f"- version: \"{v}\"\n  variants: +python ~mpi build_type=Release\n" for v in versions)
            + f"default: \"{versions[-1]}\"\ntests:\n  imports: [tool_{i}]\n")
        entries.append(f"- name: {name}\n  versions: [{', '.join(repr(v) for v in versions)}]\n  default: '{versions[-1]}'\n")
    (root / "releases" / "2030.01.yaml").write_text(
        "id: '2030.01'\nchannel: stable\npython: '3.11'\ntools:\n" + "".join(entries))
    project = Project(root)
    write_synthetic_lock(project)
    return project


def write_synthetic_lock(project: Project, release_id: str = "2030.01") -> None:
    """A current lock shaped like a real one: each tool version with two packages of its own and
    three from a pool of 50 shared libraries (about 950 packages: the layer plan buckets them)."""
    import base64
    import hashlib

    from labforge.inputs.releases import require_release
    from labforge.locks.lockfile import lock_bytes, lock_path
    from labforge.render.release import spack_environment
    from labforge.render.spackstage import current_inputs

    def digest(text: str) -> str:
        # spack's DAG hash alphabet (base32, lower case), as the lock check requires
        return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode().lower()[:32]

    def node(name: str, version: str, deps: list[tuple[str, str]]) -> dict:
        return {"name": name, "version": version, "dependencies": [
            {"name": n, "hash": h, "parameters": {"deptypes": ["build", "link"], "virtuals": []}} for n, h in deps]}

    specs, roots = {}, []
    shared = [(f"lib-{k:02d}", digest(f"lib-{k}")) for k in range(50)]
    for n, h in shared:
        specs[h] = node(n, "1.0", [])
    loaded = require_release(project, release_id)
    for entry, version, spec in loaded.specs():
        own = [(f"{entry.name}-dep{j}", digest(f"{entry.name}{version}{j}")) for j in range(2)]
        for n, h in own:
            specs[h] = node(n, version, [])
        pool = [shared[(int(hashlib.sha256((entry.name + version).encode()).hexdigest(), 16) + j * 7) % 50] for j in range(3)]
        root = digest(spec)
        specs[root] = node(entry.name, version, own + pool)
        roots.append({"hash": root, "spec": spec})
    spack_yaml, inputs = spack_environment(project, loaded)
    lock = {"_meta": {"file-type": "spack-lockfile", "lockfile-version": 6, "specfile-version": 5},
            "spack": {"version": "1.1.0", "type": "release"}, "roots": roots, "concrete_specs": specs}
    lock_path(project.releases_dir, release_id).write_bytes(
        lock_bytes(lock, current_inputs(project, spack_yaml, inputs)))


def once(project: Project, out: Path) -> float:
    start = time.perf_counter()
    tools, problems = load_all(project)
    loaded, found = load_release(project, "2030.01", tools)
    assert not problems and not found and loaded, problems + found
    render_release(project, loaded, out)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = synthetic_project(Path(tmp) / "p")
        once(project, Path(tmp) / "warm")  # imports, template compilation
        times = [once(project, Path(tmp) / f"out{i}") for i in range(RUNS)]
    median = statistics.median(times)
    print(f"validate+render (lock checked, layers planned) {TOOLS} tools x {VERSIONS} versions: median {median:.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}, {RUNS} runs); target < 0.5 s: "
          f"{'met' if median < 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
