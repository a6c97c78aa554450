"""Environments from the spack world at their scale: `release import` of spack's own CI stacks,
then the render's cost per package as a stack grows, and -- with spack -- `release lock` beside
`spack concretize` on the same environment and `release pipeline` per package.

Targets (issue 34): import of e4s in under 10 s; lock at most 1.2x spack concretize; render and
pipeline cost per package flat as the stack grows (linear in packages).

Needs the pinned spack-packages (SPACK_PACKAGES_ROOT, or build/pinned-spack from .ci/pinned-spack).
With SPACK_ROOT also the lock and pipeline figures, on --stack (default build_systems):
    .venv/bin/python -m bench.importscale [--stack NAME]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from bench.render import write_synthetic_lock
from labforge.inputs.importer import plan_import, write_import
from labforge.inputs.project import Project
from labforge.inputs.releases import require_release

REPO = Path(__file__).resolve().parents[1]
STACKS = ["e4s", "e4s-oneapi", "hep", "developer-tools-x86_64_v3-linux-gnu", "ml-linux-x86_64-cpu", "radiuss",
          "tutorial", "build_systems"]
SKIP = ("../../.ci/gitlab/",)


def packages_root() -> Path | None:
    for given in (os.environ.get("SPACK_PACKAGES_ROOT"), REPO / "build" / "pinned-spack" / "spack-packages"):
        if given and (Path(given) / "stacks").is_dir():
            return Path(given)
    return None


def scratch_project(root: Path) -> Project:
    root.mkdir(exist_ok=True)
    for part in ("labforge.yaml", "spack", "images", "releases"):  # the releases: what --pin concretized is beside
        (shutil.copytree if (REPO / part).is_dir() else shutil.copy2)(REPO / part, root / part)
    return Project(root)


def imports(recipes: Path) -> None:
    print("release import (roots pinned to their recipes' preferred versions; first run, then median of 3):")
    for stack in STACKS:
        path = recipes / "stacks" / stack / "spack.yaml"
        times, plan = [], None
        for _ in range(3):
            with tempfile.TemporaryDirectory() as tmp:
                start = time.perf_counter()
                plan = plan_import(scratch_project(Path(tmp)), path, "2031.01", skip_includes=SKIP)
                times.append(time.perf_counter() - start)
        roots = len(yaml.safe_load(path.read_text())["spack"]["specs"])
        target = "; target < 10 s: " + ("met" if statistics.median(times) < 10 else "NOT met") if stack == "e4s" else ""
        tools, rules = len(plan.release["tools"]), len(plan.release.get("packages", {}))
        print(f"  {stack}: {times[0]:.2f} s, then {statistics.median(times):.2f} s, {roots} spec entries -> "
              f"{tools} tools, {rules} package rules, {len(plan.notes)} notes{target}")


def reviewed(project: Project, stack: Path, release_id: str, tools: int | None = None, concretizer=None) -> None:
    """The stack imported and its stubs reviewed (needs_metadata removed), cut to `tools` tools."""
    plan = plan_import(project, stack, release_id, skip_includes=SKIP, concretizer=concretizer)
    plan.release["tools"] = plan.release["tools"][:tools] if tools else plan.release["tools"]
    write_import(plan, force=True)
    for path in project.tools_dir.glob("*.yaml"):
        path.write_text(path.read_text().replace("needs_metadata: true\n", ""))


def render_growth(recipes: Path) -> None:
    from labforge.render.release import render_release

    print("render of e4s's first N tools (a lock shaped like a real one; median of 5):")
    for size in (20, 40, 80, 160):
        with tempfile.TemporaryDirectory() as tmp:
            project = scratch_project(Path(tmp) / "p")
            reviewed(project, recipes / "stacks" / "e4s" / "spack.yaml", "2031.01", size)
            write_synthetic_lock(project, "2031.01")
            loaded = require_release(project, "2031.01")
            times = []
            for i in range(6):
                start = time.perf_counter()
                render_release(project, loaded, Path(tmp) / f"out{i}")
                times.append(time.perf_counter() - start)
            median = statistics.median(times[1:])
            print(f"  {size} tools: {median:.3f} s, {1000 * median / size:.1f} ms per tool")


def with_spack(recipes: Path, stack_name: str) -> None:
    from labforge.loopback.registry import local_registry
    from labforge.render.release import render_release, spack_environment
    from labforge.spackbuild.concretize import concretize, host_environment, lock_release, pinned_spack
    from labforge.spackbuild.pin import concretizer_for
    from labforge.spackbuild.pipeline import PipelineOptions, generate_pipeline

    with tempfile.TemporaryDirectory() as tmp:
        project = scratch_project(Path(tmp) / "p")
        # pinned as spack concretizes them: a recipe's preferred version may not take the variants asked
        reviewed(project, recipes / "stacks" / stack_name / "spack.yaml", "2031.01",
                 concretizer=concretizer_for(project, "bookworm", required=True))
        loaded = require_release(project, "2031.01")
        spack_root, packages, _ = pinned_spack(project)
        scratch = Path(tmp) / "scratch"
        scratch.mkdir()
        env = host_environment(spack_environment(project, loaded)[0], project, scratch)
        start = time.perf_counter()
        concretize(spack_root, packages, env, scratch, Path(tmp) / "concretize.log", None, stack_name)
        plain = time.perf_counter() - start
        locked = lock_release(project, "2031.01")
        ratio = locked.seconds / plain
        print(f"{stack_name}: spack concretize {plain:.1f} s; release lock {locked.seconds:.1f} s "
              f"({locked.nodes} packages): {ratio:.2f}x; target <= 1.2x: {'met' if ratio <= 1.2 else 'NOT met'}")
        start = time.perf_counter()
        render_release(project, loaded, Path(tmp) / "render")
        rendered = time.perf_counter() - start
        print(f"  render with its lock: {rendered:.2f} s, {1000 * rendered / locked.nodes:.1f} ms per package")
        with local_registry(Path(tmp) / "registry") as address:
            start = time.perf_counter()
            result = generate_pipeline(project, "2031.01", project.root / "build" / "pipeline" / "pipeline.yml",
                                       PipelineOptions(f"{address}/cache", "builder:bench", tls_verify=False,
                                                       signed=False, credentials=False))
            seconds = time.perf_counter() - start
        print(f"  release pipeline: {seconds:.1f} s for {result.jobs} jobs, "
              f"{1000 * seconds / max(result.jobs, 1):.0f} ms per package")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="build_systems")
    args = parser.parse_args()
    recipes = packages_root()
    if recipes is None:
        print("importscale: no spack-packages with stacks (set SPACK_PACKAGES_ROOT or run .ci/pinned-spack): skipped")
        return
    os.environ["SPACK_PACKAGES_ROOT"] = str(recipes)
    imports(recipes)
    render_growth(recipes)
    if os.environ.get("SPACK_ROOT"):
        with_spack(recipes, args.stack)
    else:
        print("lock and pipeline figures: need SPACK_ROOT (spack runs): skipped")


if __name__ == "__main__":
    main()
