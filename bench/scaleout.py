"""What a release build gains from spreading its packages over CI runners (issue 16).

For the committed 2026.11 lock and a synthetic 900-package lock shaped like an HPC stack: the
packages to build (= pipeline jobs: every non-external package), the longest dependency chain,
and the simulated from-scratch wall time with 1, 4, 16 and 64 runners. Then, measured with real
spack by tests/spack/test_spack_resume.py when it has run here: the packages compiled again after a
late failure, before and after per-package pushes.

The model (stated in the README, "Figures"): a job takes its package's build time plus a fixed
job overhead (container start, spack start, dependencies from the cache, push). The overhead is
measured, not assumed, when the pipeline stage has run here (`make test-pipelines` writes
build/pipeline-jobs.json: each job's wall time and spack's own build time of its package, from
the job log); else 60 s. Per-package build times are the ones spack measured here where we have
them (`--measured FILE`: name -> seconds), else a time by build system (below), with named
exceptions for packages known to be large.

Two orders in which runners take ready jobs: GitLab's (a free runner gets the oldest pending job,
in the order the pipeline lists them: spack ci generate lists them by name) and the best case
(the ready job with the longest chain behind it). Beside each, the lower bound no order can beat:
max(total job time / runners, the critical path).
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
from pathlib import Path

from labforge.locks.lockfile import Lock, load_lock

REPO = Path(__file__).resolve().parents[1]

ASSUMED_OVERHEAD = 60.0  # seconds a job spends before and after compiling, when nothing was measured
JOBS = REPO / "build" / "pipeline-jobs.json"  # written by tests/pipelines/test_release_pipeline.py
BY_SYSTEM = {"python_pip": 60, "generic": 120, "makefile": 180, "autotools": 240, "cmake": 420, "meson": 300}
LARGE = {"llvm": 5400, "gcc": 3600, "boost": 1500, "python": 900, "cmake": 480, "openmpi": 900, "hdf5": 600,
         "petsc": 1200, "trilinos": 3600, "qt": 3600, "vtk": 2700, "paraview": 5400, "neuron": 900, "nest": 1200,
         "arbor": 900, "py-numpy": 300, "py-scipy": 900, "openblas": 900, "netlib-lapack": 600, "perl": 420}
RUNNERS = (1, 4, 16, 64)


def packages_of(lock: Lock) -> dict[str, tuple[str, str, list[str]]]:
    """hash -> (name, build system, dependency hashes) of every package a pipeline builds."""
    out = {}
    for digest, node in lock.nodes.items():
        if node.external:
            continue
        spec = lock.spack["concrete_specs"][digest]
        system = (spec.get("parameters") or {}).get("build_system", "generic")
        deps = [h for _, h, _ in node.deps if h in lock.nodes and not lock.nodes[h].external]
        out[digest] = (node.name, system, deps)
    return out


def synthetic(count: int = 900, seed: int = 16) -> dict[str, tuple[str, str, list[str]]]:
    """A stack shaped like an HPC one: a few base libraries everything needs, build tools,
    many libraries, then applications and Python packages on top (fixed seed: same every run)."""
    rng = random.Random(seed)
    tiers = [("base", 40, "autotools", 1, 3), ("tool", 90, "cmake", 2, 5), ("lib", 470, "autotools", 3, 8),
             ("py", 200, "python_pip", 2, 6), ("app", count - 800, "cmake", 5, 14)]
    packages: dict[str, tuple[str, str, list[str]]] = {}
    below: list[str] = []
    for tier, n, system, low, high in tiers:
        here = []
        for i in range(n):
            name = f"{tier}-{i:03d}"
            pool = below
            k = min(len(pool), rng.randint(low, high))
            # one dependency often on a recent package of the same tier (chains, as libraries on
            # libraries), the others anywhere below with a heavy tail toward the base
            deps = {rng.choice(here[-6:])} if here and rng.random() < 0.35 else set()
            deps |= {pool[-min(int(rng.paretovariate(1.1)), len(pool))] if rng.random() < 0.5
                     else rng.choice(pool) for _ in range(k)} if pool else set()
            deps = sorted(deps)
            if tier == "lib" and rng.random() < 0.08:
                system = "cmake"
            packages[name] = (name, system if tier != "lib" else rng.choice(["autotools", "cmake", "makefile"]), deps)
            here.append(name)
        below = below + here
    for big in ("llvm", "boost", "python", "openmpi", "hdf5", "petsc", "trilinos", "vtk"):
        victim = rng.choice([k for k in packages if k.startswith(("tool", "lib"))])
        name, system, deps = packages[victim]
        packages[victim] = (big, system, deps)
    return packages


def seconds(name: str, system: str, measured: dict[str, float]) -> float:
    return measured.get(name) or LARGE.get(name) or BY_SYSTEM.get(system, 180)


def chain(packages: dict, cost: dict[str, float]) -> tuple[dict[str, float], int]:
    """Each package's longest path to a leaf (in seconds, itself included) and the longest
    chain in packages."""
    memo: dict[str, tuple[float, int]] = {}

    def walk(digest: str) -> tuple[float, int]:
        if digest not in memo:
            below = [walk(d) for d in packages[digest][2]]
            memo[digest] = (cost[digest] + max((b[0] for b in below), default=0.0),
                            1 + max((b[1] for b in below), default=0))
        return memo[digest]

    sys.setrecursionlimit(10000)
    for digest in packages:
        walk(digest)
    return {d: v[0] for d, v in memo.items()}, max(v[1] for v in memo.values())


def measured_overhead() -> tuple[float, str]:
    """The median fixed cost of a real package job (wall time minus spack's build time of its
    package), from the pipeline stage's job logs; else the assumption."""
    if not JOBS.exists():
        return ASSUMED_OVERHEAD, "assumed (run make test-pipelines to measure it)"
    data = json.loads(JOBS.read_text())
    fixed = sorted(job["seconds"] - job["build_seconds"] for job in data["jobs"] if job.get("build_seconds") is not None)
    if not fixed:
        return ASSUMED_OVERHEAD, "assumed (the job logs had no build times)"
    median = fixed[len(fixed) // 2]
    return median, (f"measured: median of {len(fixed)} package jobs of release {data['release']} "
                    f"(min {fixed[0]:.0f} s, max {fixed[-1]:.0f} s)")


def simulate(packages: dict, cost: dict[str, float], runners: int, gitlab_order: bool = False) -> float:
    """Wall time with `runners` runners; a job starts when its needs are done and a runner is free.
    `gitlab_order`: a free runner takes the first pending job in pipeline order (by name), as
    GitLab hands them out; else the one with the longest chain behind it."""
    if gitlab_order:
        order = sorted(packages, key=lambda d: packages[d][0] + d)
        priority = {d: -i for i, d in enumerate(order)}
    else:
        priority = chain(packages, cost)[0]
    waiting = {d: len(v[2]) for d, v in packages.items()}
    dependents: dict[str, list[str]] = {d: [] for d in packages}
    for digest, (_, _, deps) in packages.items():
        for dep in deps:
            dependents[dep].append(digest)
    ready = [(-priority[d], d) for d, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now, free = 0.0, runners
    while ready or running:
        while ready and free:
            _, digest = heapq.heappop(ready)
            heapq.heappush(running, (now + cost[digest], digest))
            free -= 1
        now, done = heapq.heappop(running)
        free += 1
        for up in dependents[done]:
            waiting[up] -= 1
            if waiting[up] == 0:
                heapq.heappush(ready, (-priority[up], up))
    return now


def report(title: str, packages: dict, measured: dict[str, float], overhead: float) -> None:
    cost = {d: seconds(name, system, measured) + overhead for d, (name, system, _) in packages.items()}
    paths, longest = chain(packages, cost)
    total, critical = sum(cost.values()), max(paths.values())
    print(f"\n{title}: {len(packages)} packages to build = {len(packages)} pipeline jobs; "
          f"longest dependency chain {longest} packages ({critical / 3600:.2f} h); {total / 3600:.1f} h of jobs, "
          f"{overhead * len(packages) / total:.1%} of it job overhead")
    base = simulate(packages, cost, 1)
    print("  runners   bound h   GitLab order h (x bound)   longest chain first h (x bound)   speed-up")
    for n in RUNNERS:
        bound = max(total / n, critical)
        gitlab = base if n == 1 else simulate(packages, cost, n, gitlab_order=True)
        best = base if n == 1 else simulate(packages, cost, n)
        print(f"  {n:>7} {bound / 3600:9.2f} {gitlab / 3600:12.2f} ({gitlab / bound:4.2f}) "
              f"{best / 3600:22.2f} ({best / bound:4.2f}) {base / gitlab:13.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measured", type=Path, help="JSON: package name -> measured build seconds")
    args = parser.parse_args()
    measured = json.loads(args.measured.read_text()) if args.measured else {}
    lock = load_lock(REPO / "releases" / "2026.11.lock.json", "releases/2026.11.lock.json")
    overhead, source = measured_overhead()
    print(f"model: job overhead {overhead:.0f} s ({source}); by build system {BY_SYSTEM}; large packages named; "
          f"{len(measured)} measured times")
    report("2026.11 (committed lock)", packages_of(lock), measured, overhead)
    report("synthetic HPC stack (seed 16)", synthetic(), measured, overhead)
    resume = REPO / "build" / "bench" / "resume.json"
    print("\nafter a late failure, packages compiled again by the rerun (real spack, small release):")
    print("  before per-package pushes: 8 of 8 (measured before issue 16: the push came after the whole install)")
    if resume.exists():
        data = json.loads(resume.read_text())
        print(f"  now: {data['compiled_again']} of {data['packages']} ({data['pushed_before_failure']} were in the "
              f"cache when the build failed; tests/spack/test_spack_resume.py, {data['when']})")
    else:
        print("  now: not measured here yet (run the spack tests: make test-spack with SPACK_ROOT and "
              "LABFORGE_SPACK_IMAGE=1)")


if __name__ == "__main__":
    main()
